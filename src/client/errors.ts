// The error classes `fromSse` ends a stream with, in one file, each with a stable `code`. The rest
// are plain errors whose `cause` holds what went wrong: `decode`, `backoff` or `reconnect` throwing
// (or `backoff` returning no valid wait, or `reconnect` no valid request) is an `Error` (a
// `TypeError` for a bad result), and a network failure past `maxReconnects` is an `Error` whose
// `cause` is the last failure (a `TypeError: fetch failed`, or an `SseReadTimeoutError`). What
// `validate` throws ends the stream as it is.

/** Why a `fromSse` stream stopped: a response that EventSource would fail on. */
export class SseResponseError extends Error {
  override name = 'SseResponseError';
  readonly code = 'ERR_SSE_RESPONSE';
  /** The response's status. */
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * A request that can never be sent, so retrying it would never help: a header value the platform
 * refuses (such as a last event id from the server holding a control character), a blocked port.
 * Not retried: the stream errors at once.
 */
export class SseRequestError extends Error {
  override name = 'SseRequestError';
  readonly code = 'ERR_SSE_REQUEST';
}

/**
 * A stream whose request is not idempotent (a POST: the question of an LLM answer) dropped, and
 * there is no way to resume it but sending that request again, which `fromSse` never does by
 * itself: give `options.reconnect` a request that resumes it (a GET of the answer's `Location`).
 * Its `cause` is the failure: a network error, or an `SseReadTimeoutError`.
 */
export class SseNotResumableError extends Error {
  override name = 'SseNotResumableError';
  readonly code = 'ERR_SSE_NOT_RESUMABLE';
  /** The method that was not sent again. */
  readonly method: string;
  constructor(method: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.method = method;
  }
}

/**
 * An event (or a line) longer than `maxEventSize` characters. Not retried: a server that sent it
 * once would send it again.
 */
export class SseTooLargeError extends Error {
  override name = 'SseTooLargeError';
  readonly code = 'ERR_SSE_TOO_LARGE';
  /** The limit passed, in characters. */
  readonly limit: number;
  constructor(limit: number, message: string) {
    super(message);
    this.limit = limit;
  }
}

/**
 * No byte arrived for `readTimeout` ms: the connection is taken for dropped (a half-open TCP
 * connection looks just like an idle one) and reconnected. Seen as the `cause` of the error that
 * ends a stream past `maxReconnects`.
 */
export class SseReadTimeoutError extends Error {
  override name = 'SseReadTimeoutError';
  readonly code = 'ERR_SSE_READ_TIMEOUT';
  /** The timeout passed, in ms. */
  readonly timeout: number;
  constructor(timeout: number, message: string) {
    super(message);
    this.timeout = timeout;
  }
}
