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
  /** The event id (`id:`), which the client sends back as `Last-Event-ID`. No CR, LF or NUL. */
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
