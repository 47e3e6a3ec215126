/**
 * One Server-Sent Event. Every field is optional, but an event needs at least one of them.
 * A field set to `undefined` counts as absent.
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
}

/** The field names an {@link SseEvent} may have; anything else is refused as a likely typo. */
export const eventFields: ReadonlySet<string> = new Set([
  'data',
  'event',
  'id',
  'retry',
  'comment',
]);
