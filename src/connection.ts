import type { IncomingMessage, ServerResponse } from 'node:http';
import { isObservable, type Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { createContext, type SseContext } from './context.js';
import { describe, encode, type EncodeOptions } from './encode.js';
import { HttpError } from './errors.js';
import type { SseEvent } from './event.js';
import type { HeadSet } from './headers.js';
import { refuse } from './refuse.js';
import { createWriter } from './writer.js';

/** Makes the stream of one request. May return it directly or as a promise (e.g. after an auth check). */
export type SseHandler = (
  ctx: SseContext,
) => Observable<SseEvent> | PromiseLike<Observable<SseEvent>>;

/** Reports an error; after the head, the event it returns is the stream's last. */
// `void` so that a callback that only logs, and returns nothing, fits.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type ErrorHook = (error: unknown, ctx: SseContext) => SseEvent | undefined | void;

/** What every connection of one `sse()` listener shares, checked once at setup. */
export interface StreamConfig {
  handler: SseHandler;
  wire: OperatorFunction<SseEvent, string>;
  encodeOptions: EncodeOptions;
  heads: HeadSet;
  onError: ErrorHook;
  maxLastEventIdLength: number;
}

type State = 'pending' | 'subscribing' | 'open' | 'done';

/**
 * Serves one GET (or HEAD) request as a stream, from the handler call to the one teardown.
 *
 * States: `pending` until the handler's Observable is subscribed; `subscribing` while synchronous
 * emissions are only queued, so an error then can still be a status; `open` once the head is out;
 * `done` after the teardown, which runs once whatever ends the request.
 */
export function serveStream(req: IncomingMessage, res: ServerResponse, config: StreamConfig): void {
  const { heads, onError } = config;
  const controller = new AbortController();
  const writer = createWriter(res);
  let ctx: SseContext | undefined;
  let state: State = 'pending';
  let subscription: Subscription | undefined;

  const report = (error: unknown): SseEvent | undefined => {
    try {
      if (ctx !== undefined) return (onError(error, ctx) as SseEvent | undefined) ?? undefined;
      logError(error);
    } catch (failure) {
      logError(new Error('rx-sse: options.onError threw', { cause: failure }));
    }
    return undefined;
  };

  const finish = (end: () => void): void => {
    if (state === 'done') return;
    state = 'done';
    res.off('close', onClose);
    // Abort first: code that listens on the signal learns the stream is over even if a teardown
    // below throws.
    controller.abort();
    end();
    try {
      subscription?.unsubscribe();
    } catch (error) {
      // A teardown of the user's that throws must not become an uncaught exception in 'close'.
      report(error);
    }
  };

  const onClose = (): void => {
    finish(() => {
      writer.discard();
    });
  };

  const fail = (error: unknown): void => {
    const refusal = error instanceof HttpError;
    if (state === 'done') {
      // The client is gone. An abort we caused through ctx.signal is no error; anything else is.
      if (!refusal && !isAbortOf(controller.signal, error)) report(error);
      return;
    }
    if (!refusal) report(error);
    finish(() => {
      writer.discard();
      refuse(res, error, heads.extra);
    });
  };

  const endAfterError = (error: unknown): void => {
    const last = report(error);
    finish(() => {
      if (last !== undefined) writeLast(last);
      writer.end();
    });
  };

  const start = (stream: unknown): void => {
    if (!isObservable(stream)) {
      fail(
        new TypeError(
          `rx-sse: the handler for ${req.method ?? ''} ${req.url ?? ''} returned ${describe(stream)}, not an Observable of events`,
        ),
      );
      return;
    }
    if (state !== 'pending') return;
    const head = req.httpVersionMajor >= 2 ? heads.http2 : heads.http1;
    if (req.method === 'HEAD') {
      // The handler ran, so its refusals count; the stream itself is never subscribed.
      state = 'open';
      writer.open(head);
      finish(() => {
        writer.end();
      });
      return;
    }
    state = 'subscribing';
    let early: { error: unknown } | 'complete' | undefined;
    subscription = (stream as Observable<SseEvent>).pipe(config.wire).subscribe({
      next: (frame) => {
        writer.write(frame);
      },
      error: (error: unknown) => {
        if (state === 'subscribing') early = { error };
        else endAfterError(error);
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
      fail(early.error);
      return;
    }
    state = 'open';
    writer.open(head);
    if (early === 'complete')
      finish(() => {
        writer.end();
      });
  };

  // Whatever throws while a stream starts ends the request like an error before the head; inside
  // a promise callback it would otherwise be an unhandled rejection.
  const startSafely = (stream: unknown): void => {
    try {
      start(stream);
    } catch (error) {
      fail(error);
    }
  };

  const writeLast = (event: SseEvent): void => {
    try {
      writer.write(encode(event, config.encodeOptions));
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
    // The client left before we were called (say, during slow middleware): 'close' has been.
    onClose();
    return;
  }
  try {
    ctx = createContext(req, controller.signal, config.maxLastEventIdLength);
    const result = config.handler(ctx);
    if (!isObservable(result) && isPromiseLike(result)) result.then(startSafely, fail);
    else startSafely(result);
  } catch (error) {
    fail(error);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** True for the rejection of work cancelled through `signal`, e.g. `fetch(url, { signal })`. */
function isAbortOf(signal: AbortSignal, error: unknown): boolean {
  return (
    signal.aborted &&
    (error === signal.reason || (error as { name?: unknown } | null)?.name === 'AbortError')
  );
}

const departures = new Set([
  'EPIPE',
  'ECONNRESET',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Listens for errors on a response: a departed client is normal, anything else is logged. */
export function ignoreDeparture(error: NodeJS.ErrnoException): void {
  if (!departures.has(error.code ?? '')) logError(error);
}

/** The default `onError`: one line on stderr, nothing to the client. */
export function logError(error: unknown): void {
  console.error('rx-sse:', error);
}
