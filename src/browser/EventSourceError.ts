/** Why a `fromEventSource` Observable errored: the stream could not be read. */
export class EventSourceError extends Error {
  override name = 'EventSourceError';
  readonly code = 'ERR_EVENT_SOURCE';
  /**
   * `'closed'`: the browser gave up on the stream itself; `'reconnects'`: it kept reconnecting,
   * past `maxReconnects`.
   */
  readonly reason: 'closed' | 'reconnects';
  /** The stream's absolute URL. */
  readonly url: string;
  constructor(reason: 'closed' | 'reconnects', url: string, message: string) {
    super(message);
    this.reason = reason;
    this.url = url;
  }
}
