// The error classes `fromSse` ends a stream with, in one file, each with a stable `code`. The rest
// are plain errors whose `cause` holds what went wrong: `decode`, `backoff` or `reconnect` throwing
// (or `backoff` returning no valid wait, or `reconnect` no valid request) is an `Error` (a
// `TypeError` for a bad result), and a network failure past `maxReconnects` is an `Error` whose
// `cause` is the last failure (a `TypeError: fetch failed`, or an `SseReadTimeoutError`). What
// `validate` throws ends the stream as it is.

/** Why a `fromSse` stream stopped: a response that EventSource would fail on. */
export class SseResponseError extends Error {
  /** `'SseResponseError'`. */
  override name = 'SseResponseError';
  /** `'ERR_SSE_RESPONSE'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_RESPONSE';
  /** The response's status: `200` when it was the content type that was wrong. */
  readonly status: number;
  /**
   * Made by `fromSse`; a user only ever catches one.
   * @param status The response's status.
   * @param message What was wrong, naming the url.
   */
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
  /** `'SseRequestError'`. */
  override name = 'SseRequestError';
  /** `'ERR_SSE_REQUEST'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_REQUEST';
}

/**
 * A stream whose request is not idempotent (a POST: the question of an LLM answer) dropped, and
 * there is no way to resume it but sending that request again, which `fromSse` never does by
 * itself: give `options.reconnect` a request that resumes it (a GET of the answer's `Location`).
 * Its `cause` is the failure: a network error, or an `SseReadTimeoutError`.
 */
export class SseNotResumableError extends Error {
  /** `'SseNotResumableError'`. */
  override name = 'SseNotResumableError';
  /** `'ERR_SSE_NOT_RESUMABLE'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_NOT_RESUMABLE';
  /** The method that was not sent again, such as `'POST'`. */
  readonly method: string;
  /**
   * Made by `fromSse`; a user only ever catches one.
   * @param method The method that was not sent again.
   * @param message What happened, naming the url.
   * @param options The error's `cause`: the failure that dropped the stream.
   */
  constructor(method: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.method = method;
  }
}

/**
 * An event being read passed `maxEventSize` bytes (as received, UTF-8: its data so far, its type,
 * the last event id and the line being read, together). Not retried: a server that sent it once
 * would send it again.
 */
export class SseTooLargeError extends Error {
  /** `'SseTooLargeError'`. */
  override name = 'SseTooLargeError';
  /** `'ERR_SSE_TOO_LARGE'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_TOO_LARGE';
  /** The limit passed, in bytes: `maxEventSize`. */
  readonly limit: number;
  /**
   * Made by `fromSse` (and by a parser's `feed`); a user only ever catches one.
   * @param limit The limit passed, in bytes.
   * @param message What happened, naming the url.
   */
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
  /** `'SseReadTimeoutError'`. */
  override name = 'SseReadTimeoutError';
  /** `'ERR_SSE_READ_TIMEOUT'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_READ_TIMEOUT';
  /** The timeout passed, in ms: `readTimeout`. */
  readonly timeout: number;
  /**
   * Made by `fromSse`; a user only ever catches one.
   * @param timeout The timeout passed, in ms.
   * @param message What happened, naming the url.
   */
  constructor(timeout: number, message: string) {
    super(message);
    this.timeout = timeout;
  }
}
