/** Why a `fromEventSource` Observable errored: the stream could not be read. */
export class EventSourceError extends Error {
  /** `'EventSourceError'`. */
  override name = 'EventSourceError';
  /** `'ERR_EVENT_SOURCE'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_EVENT_SOURCE';
  /**
   * `'closed'`: the browser gave up on the stream itself; `'reconnects'`: it kept reconnecting,
   * past `maxReconnects`.
   */
  readonly reason: 'closed' | 'reconnects';
  /** The stream's absolute URL. */
  readonly url: string;
  /**
   * Made by `fromEventSource`; a user only ever catches one.
   * @param reason Why the Observable errored.
   * @param url The stream's absolute URL.
   * @param message What happened, naming the url.
   */
  constructor(reason: 'closed' | 'reconnects', url: string, message: string) {
    super(message);
    this.reason = reason;
    this.url = url;
  }
}
