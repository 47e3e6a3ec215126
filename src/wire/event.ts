/**
 * One Server-Sent Event, as a handler's Observable emits it (WHATWG HTML § 9.2 Server-sent
 * events, "Interpreting an event stream"). Every field is optional, but an event needs at least
 * one of them; a field set to `undefined` counts as absent. No other key is allowed: `encode`
 * refuses any key but `data`, `event`, `id`, `retry` and `comment` as a likely typo, and the keys
 * other libraries use for these fields (`type`, `name`, `lastEventId`) are typed `never`, so that
 * `map((i) => ({ type: 'tick', data: i }))` fails to compile where an `Observable<SseEvent>` is
 * expected, with tsc naming the key ("Types of property 'type' are incompatible").
 *
 * ## Example
 * ```ts
 * import { interval, map, type Observable } from 'rxjs';
 * import type { SseEvent } from 'rx-sse';
 *
 * export const ticks: Observable<SseEvent> = interval(1000).pipe(
 *   map((i) => ({ event: 'tick', id: i, data: { i } })),
 * );
 * ```
 */
export interface SseEvent {
  /**
   * The payload. A string is sent as-is, one `data:` line per line (split on CRLF, CR and LF);
   * any other value goes through `serialize` (JSON by default).
   */
  data?: unknown;
  /** The event type (`event:`): the name a client's `addEventListener` listens for. No CR or LF. */
  event?: string | undefined;
  /**
   * The event id (`id:`), which a reconnecting client sends back as its `Last-Event-ID` header;
   * `''` makes the client forget its last id. As a header value (RFC 9110 §5.5) it must hold no
   * control character but HTAB (so no CR, LF, NUL or DEL) and no space or HTAB at either end,
   * which HTTP would trim; `encode` refuses such an id, and one with an unpaired surrogate (no
   * UTF-8 for it). Non-ASCII characters are fine: they go out and come back as UTF-8.
   */
  id?: string | number | undefined;
  /** The client's reconnection delay in ms (`retry:`): a non-negative integer. */
  retry?: number | undefined;
  /** A comment (`:` lines). Clients ignore it; it keeps proxies from timing the connection out. */
  comment?: string | undefined;
  /**
   * Not a field: the event type is {@link SseEvent.event}. NestJS's `MessageEvent` and the DOM's
   * call it `type`; here `{ type: 'tick' }` is a compile error, and `encode` refuses it at run
   * time (an `SseEventError` naming the key) rather than send an event without its type.
   */
  type?: never;
  /** Not a field: the event type is {@link SseEvent.event}. Refused as `type` is. */
  name?: never;
  /**
   * Not a field: an event's own id is {@link SseEvent.id}; `lastEventId` is what a client (its
   * `MessageEvent`, or a handler's context) knows. Refused as `type` is.
   */
  lastEventId?: never;
}

/** The field names an {@link SseEvent} may have; anything else is refused as a likely typo. */
export const eventFields: ReadonlySet<string> = new Set([
  'data',
  'event',
  'id',
  'retry',
  'comment',
]);
