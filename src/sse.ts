import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  asyncScheduler,
  isObservable,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { createContext, defaultMaxLastEventIdLength, type SseContext } from './context.js';
import { describe, encode } from './encode.js';
import { HttpError } from './errors.js';
import type { SseEvent } from './event.js';
import { streamHeaders, type StreamHeaders } from './headers.js';
import { refuse } from './refuse.js';
import { checkWireOptions, toWire, type WireOptions } from './toWire.js';
import { createWriter } from './writer.js';

/** Makes the stream of one request. May return it directly or as a promise (e.g. after an auth check). */
export type SseHandler = (
  ctx: SseContext,
) => Observable<SseEvent> | PromiseLike<Observable<SseEvent>>;

/** A node:http request listener that is also Connect/Express middleware. */
export type SseListener = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Options of {@link sse}. */
export interface SseOptions extends WireOptions {
  /** Headers added to every stream's head (one may replace a default, but not `Content-Type`). Defaults to none. */
  headers?: StreamHeaders;
  /**
   * Called once for an error that ends a request: a handler that threw or rejected (with anything
   * but an {@link HttpError}), returned something that is not an Observable, or a stream that
   * errored. After the stream has opened, the event it returns (if any) is sent as the last one —
   * e.g. `{ event: 'error', data: 'try again later' }`. Before, the client gets a 500 whatever it
   * returns. Defaults to logging the error with `console.error` and sending the client nothing.
   */
  // `void` so that a callback that only logs, and returns nothing, fits.
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  onError?: (error: unknown, ctx: SseContext) => SseEvent | undefined | void;
  /** Longest `Last-Event-ID` accepted from a client; longer ones count as absent. Defaults to `1024`. */
  maxLastEventIdLength?: number;
  /** Where heartbeat timers run. Defaults to `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/**
 * Serves the Observable a handler returns as Server-Sent Events over node:http.
 *
 * Per GET request it listens for the socket to close, calls `handler`, subscribes, sends the
 * head at once (so the client's `open` fires before any event), writes each event as it comes,
 * and ends the response when the Observable completes, after every queued byte. When the client
 * goes away it unsubscribes in the same turn and aborts `ctx.signal`. A throw, a rejection or a
 * synchronous error before the head is a real HTTP status ({@link HttpError}'s, else 500). Other
 * methods go to `next` when there is one (middleware), else get `405`.
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
  const heads = streamHeaders(options.headers);
  const wire = toWire(options, scheduler);

  return function sseListener(req, res, next) {
    if (req.method !== 'GET') {
      if (next) next();
      else refuse(res, new HttpError(405, undefined, { headers: { Allow: 'GET' } }));
      return;
    }
    const controller = new AbortController();
    const writer = createWriter(res);
    let ctx: SseContext | undefined;
    let state: 'pending' | 'subscribing' | 'open' | 'done' = 'pending';
    let subscription: Subscription | undefined;

    const report = (error: unknown): SseEvent | undefined => {
      try {
        if (ctx === undefined) {
          logError(error);
          return undefined;
        }
        return (onError(error, ctx) as SseEvent | undefined) ?? undefined;
      } catch (failure) {
        logError(new Error('rx-sse: options.onError threw', { cause: failure }));
        return undefined;
      }
    };
    // The one teardown: whatever ends the request, this runs once.
    const finish = (end: () => void): void => {
      if (state === 'done') return;
      state = 'done';
      res.off('close', onClose);
      end();
      subscription?.unsubscribe();
      controller.abort();
    };
    const onClose = (): void => {
      finish(() => {
        writer.discard();
      });
    };
    const fail = (error: unknown): void => {
      if (state === 'done') {
        if (!(error instanceof HttpError)) report(error);
        return;
      }
      if (!(error instanceof HttpError)) report(error);
      finish(() => {
        writer.discard();
        refuse(res, error);
      });
    };
    const start = (stream: unknown): void => {
      if (state !== 'pending') return;
      if (!isObservable(stream)) {
        fail(
          new TypeError(
            `rx-sse: the handler for ${req.method} ${req.url ?? ''} returned ${describe(stream)}, not an Observable of events`,
          ),
        );
        return;
      }
      state = 'subscribing';
      let early: { error: unknown } | 'complete' | undefined;
      subscription = (stream as Observable<SseEvent>).pipe(wire).subscribe({
        next: (frame) => {
          writer.write(frame);
        },
        error: (error: unknown) => {
          if (state === 'subscribing') early = { error };
          else if (state === 'open') {
            const last = report(error);
            finish(() => {
              if (last !== undefined) writeLast(last);
              writer.end();
            });
          }
        },
        complete: () => {
          if (state === 'subscribing') early = 'complete';
          else
            finish(() => {
              writer.end();
            });
        },
      });
      // The observer may have ended the request during subscribe(); TypeScript cannot see that.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (state !== 'subscribing') return;
      if (early !== undefined && early !== 'complete') {
        state = 'pending';
        fail(early.error);
        return;
      }
      state = 'open';
      writer.open(req.httpVersionMajor >= 2 ? heads.http2 : heads.http1);
      if (early === 'complete')
        finish(() => {
          writer.end();
        });
    };
    // Whatever throws while a stream starts ends the request like any error before the head; from
    // inside a promise callback it would otherwise be an unhandled rejection.
    const startSafely = (stream: unknown): void => {
      try {
        start(stream);
      } catch (error) {
        fail(error);
      }
    };
    const writeLast = (event: SseEvent): void => {
      try {
        writer.write(encode(event, encodeOptions));
      } catch (error) {
        logError(
          new Error('rx-sse: the event options.onError returned cannot be sent', { cause: error }),
        );
      }
    };

    res.once('close', onClose);
    // A write racing a departing client fails with EPIPE or ECONNRESET: a normal ending, not an
    // error. The listener stays for the response's life, since such an error can come after end().
    res.on('error', ignoreDeparture);
    if (req.socket.destroyed) {
      onClose();
      return;
    }
    try {
      ctx = createContext(req, controller.signal, maxLastEventIdLength);
      const result = handler(ctx);
      if (!isObservable(result) && isPromiseLike(result)) result.then(startSafely, fail);
      else startSafely(result);
    } catch (error) {
      fail(error);
    }
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

const departures = new Set([
  'EPIPE',
  'ECONNRESET',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

function ignoreDeparture(error: NodeJS.ErrnoException): void {
  if (!departures.has(error.code ?? '')) logError(error);
}

function logError(error: unknown): undefined {
  console.error('rx-sse:', error);
  return undefined;
}
