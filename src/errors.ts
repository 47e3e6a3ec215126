import { statusText } from './engine/statusText.js';
import type { HttpHeaders } from './types.js';
import { checkHeaders } from './wire/httpField.js';

/** Options of {@link HttpError}. */
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
 * import { sse, HttpError } from 'rx-sse';
 *
 * sse((ctx) => {
 *   if (!ctx.request.headers.get('authorization')) {
 *     throw new HttpError(401, 'Sign in first', { headers: { 'WWW-Authenticate': 'Bearer' } });
 *   }
 *   return updates$;
 * });
 * // The client gets: HTTP/1.1 401 Unauthorized ... Sign in first
 * ```
 */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly code = 'ERR_SSE_HTTP';
  readonly status: number;
  readonly headers: HttpHeaders;

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
  override name = 'SseEventError';
  readonly code = 'ERR_SSE_INVALID_EVENT';
  readonly field: SseEventField;

  constructor(field: SseEventField, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}
