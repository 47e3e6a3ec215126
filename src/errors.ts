import { statusText } from './engine/statusText.js';
import type { HttpHeaders } from './types.js';
import { checkHeaders } from './wire/httpField.js';

/** Options of {@link HttpError}'s constructor. */
export interface HttpErrorOptions {
  /** Headers sent with the refusal, e.g. `WWW-Authenticate` or `Retry-After`. Defaults to none. */
  headers?: HttpHeaders | undefined;
  /** The error that led to this one, kept for logs; never sent to the client. */
  cause?: unknown;
}

/**
 * Refuses a stream with a real HTTP status instead of opening it.
 *
 * Throw it from a handler, reject the handler's promise with it, or error the returned observable
 * with it synchronously on subscribe: the client gets `status`, `headers` and `message` as a
 * `text/plain` body, and no stream. The message is meant for the client, so keep secrets out of it;
 * without one the body is the status text. Use `204` to tell an `EventSource` to stop reconnecting.
 *
 * Once the stream is open (the head has gone out) an `HttpError` is an ordinary stream error.
 *
 * ## Example
 * ```ts
 * import { interval, map } from 'rxjs';
 * import { sse, HttpError } from 'rx-sse';
 *
 * export const listener = sse((ctx) => {
 *   if (!ctx.request.headers.get('authorization')) {
 *     throw new HttpError(401, 'Sign in first', { headers: { 'WWW-Authenticate': 'Bearer' } });
 *   }
 *   return interval(1000).pipe(map((i) => ({ data: i })));
 * });
 * // A client without Authorization gets: HTTP/1.1 401 Unauthorized ... Sign in first
 * ```
 */
export class HttpError extends Error {
  /** `'HttpError'`. */
  override name = 'HttpError';
  /** `'ERR_SSE_HTTP'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_HTTP';
  /** The status the client gets: an integer from 201 to 599. */
  readonly status: number;
  /** The headers sent with the refusal (a frozen copy of `options.headers`; `{}` for none). */
  readonly headers: HttpHeaders;

  /**
   * Makes the refusal; throw it (or reject with it) from a handler.
   * @param status The HTTP status to answer with (RFC 9110 §15), an integer from 201 to 599:
   *   `200` is the stream itself. `204` tells an `EventSource` to stop reconnecting (WHATWG HTML
   *   § 9.2 Server-sent events), `401`/`403` refuse a client, `503` with `Retry-After` asks it to come back later.
   * @param message The `text/plain` body the client gets. Defaults to the status text, such as
   *   `Unauthorized`. It is sent, so keep secrets out of it.
   * @param options Headers to send with the refusal, and the error's `cause`.
   * @throws {RangeError} when `status` is not an integer from 201 to 599.
   * @throws {TypeError} when a header in `options.headers` is not a valid HTTP field (RFC 9110 §5).
   */
  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 201 || status > 599) {
      throw new RangeError(
        `HttpError: status must be an integer from 201 to 599 (got ${String(status)}); ` +
          '200 is the stream itself',
      );
    }
    super(message ?? statusText(status), { cause: options.cause });
    const headers = options.headers ?? {};
    checkHeaders('HttpError', (name) => `header ${JSON.stringify(name)}`, headers);
    this.status = status;
    this.headers = Object.freeze({ ...headers });
  }
}

/** Which part of an {@link SseEvent} an {@link SseEventError} is about. */
export type SseEventField = 'event' | 'id' | 'retry' | 'data' | 'comment' | 'fields';

/**
 * An event that cannot be written as Server-Sent Events without changing its meaning.
 *
 * Thrown by `encode` (and so raised as a stream error by `sse`) before a single byte of the event
 * is written. `field` names the offending field.
 */
export class SseEventError extends TypeError {
  /** `'SseEventError'`. */
  override name = 'SseEventError';
  /** `'ERR_SSE_INVALID_EVENT'`, stable across versions: test for it rather than for the message. */
  readonly code = 'ERR_SSE_INVALID_EVENT';
  /**
   * The field that cannot be written: `'event'`, `'id'`, `'retry'`, `'data'` or `'comment'`, or
   * `'fields'` for the event as a whole (not an object, an unknown key, no field at all).
   */
  readonly field: SseEventField;

  /**
   * Made by `encode`; a user of rx-sse only ever catches one.
   * @param field The field that cannot be written.
   * @param message What is wrong with it, for a developer.
   * @param options The error's `cause`, such as what `serialize` threw.
   */
  constructor(field: SseEventField, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}
