import type { IncomingMessage, ServerResponse } from 'node:http';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  logError,
  serveStream,
  type ErrorHook,
  type SseHandler,
  type StreamConfig,
} from './connection.js';
import { defaultMaxLastEventIdLength } from './context.js';
import { describe } from './encode.js';
import { HttpError } from './errors.js';
import { streamHeaders, type StreamHeaders } from './headers.js';
import { refuse } from './refuse.js';
import { checkWireOptions, toWire, type WireOptions } from './toWire.js';

export type { SseHandler } from './connection.js';

/** A node:http request listener that is also Connect/Express middleware. */
export type SseListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Options of {@link sse}. */
export interface SseOptions extends WireOptions {
  /**
   * Headers added to every stream's head, and to every refusal (so CORS headers reach a client
   * that is refused). One may replace a default header, but not `Content-Type`. Defaults to none.
   */
  headers?: StreamHeaders | undefined;
  /**
   * Called once for an error that ends a request: a handler that threw or rejected (with anything
   * but an {@link HttpError}), returned something that is not an Observable, or a stream that
   * errored. After the stream has opened, the event it returns (if any) is sent as the last one —
   * e.g. `{ event: 'error', data: 'try again later' }`. Before, the client gets a 500 whatever it
   * returns. Defaults to logging the error with `console.error` and sending the client nothing.
   */
  onError?: ErrorHook | undefined;
  /** Longest `Last-Event-ID` accepted from a client; longer ones count as absent. Defaults to `1024`. */
  maxLastEventIdLength?: number | undefined;
  /** Where heartbeat timers run. Defaults to `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
}

/**
 * Serves the Observable a handler returns as Server-Sent Events over node:http.
 *
 * Per GET request it listens for the socket to close, calls `handler`, subscribes, sends the
 * head at once (so the client's `open` fires before any event), writes each event as it comes,
 * and ends the response when the Observable completes, after every queued byte. When the client
 * goes away it unsubscribes in the same turn and aborts `ctx.signal`. A throw, a rejection or a
 * synchronous error before the head is a real HTTP status ({@link HttpError}'s, else 500). HEAD
 * gets the head the handler's answer would have, without subscribing. Other methods go to `next`
 * when there is one (middleware), else get `405`.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { interval, map, take } from 'rxjs';
 * import { sse } from 'rx-sse';
 *
 * const counter = sse(() => interval(1000).pipe(take(10), map((i) => ({ event: 'counter', data: i }))));
 * createServer(counter).listen(8080);
 * // curl localhost:8080 logs, one a second:
 * // event: counter
 * // data: 0
 * ```
 */
export function sse(handler: SseHandler, options: SseOptions = {}): SseListener {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `sse: the handler must be a function from a context to an Observable (got ${describe(handler)})`,
    );
  }
  const {
    onError = logError,
    maxLastEventIdLength = defaultMaxLastEventIdLength,
    scheduler = asyncScheduler,
  } = options;
  const { encodeOptions } = checkWireOptions(options, 'sse');
  if (typeof onError !== 'function') {
    throw new TypeError(`sse: options.onError must be a function (got ${describe(onError)})`);
  }
  if (!Number.isSafeInteger(maxLastEventIdLength) || maxLastEventIdLength < 1) {
    throw new TypeError(
      `sse: options.maxLastEventIdLength must be a positive integer (got ${describe(maxLastEventIdLength)})`,
    );
  }
  const config: StreamConfig = {
    handler,
    wire: toWire(options, scheduler),
    encodeOptions,
    heads: streamHeaders(options.headers),
    onError,
    maxLastEventIdLength,
  };
  const notAllowed = new HttpError(405, undefined, { headers: { Allow: 'GET, HEAD' } });

  return function sseListener(req, res, next) {
    if (req.method === 'GET' || req.method === 'HEAD') serveStream(req, res, config);
    else if (next) next();
    else refuse(res, notAllowed, config.heads.extra);
  };
}
