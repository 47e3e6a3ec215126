import type { ZlibOptions } from 'node:zlib';
import { acceptsGzip } from './compress.js';
import { isHttp2, type SseRequest, type SseResponse } from './http.js';
import {
  isObservable,
  NEVER,
  Subscription,
  type Observable,
  type Observer,
  type OperatorFunction,
} from 'rxjs';
import { createContext, type SseContext } from './context.js';
import { describe, encode, type EncodeOptions } from './encode.js';
import { feedOf, type Feed } from './feed.js';
import { HttpError } from './errors.js';
import type { SseEvent } from './event.js';
import type { HeadSet } from './headers.js';
import { refuse } from './refuse.js';
import {
  askOnError,
  callHook,
  ignoreDeparture,
  isAbortOf,
  isPromiseLike,
  lastFrame,
  logError,
} from './report.js';
import { heartbeatFrame } from './toWire.js';
import type { SseStats } from './stats.js';
import { createWriter, type WriterLimits } from './writer.js';

/** Makes the stream of one request. May return it directly or as a promise (e.g. after an auth check). */
export type SseHandler = (
  ctx: SseContext,
) => Observable<SseEvent> | PromiseLike<Observable<SseEvent>>;

/** Reports an error; after the head, the event it returns is the stream's last. */
// `void` so that a callback that only logs, and returns nothing, fits.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type ErrorHook = (error: unknown, ctx: SseContext) => SseEvent | undefined | void;

/** Why an open stream ended. */
export type EndReason = 'complete' | 'error' | 'client' | 'slow' | 'shutdown';

/** A stream of the listener's, as its shutdown sees it. */
export interface LiveStream {
  readonly res: SseResponse;
  /** Ends the stream now: the last event (if any) is written, the backlog flushed, the response ended. */
  shutdown(last: SseEvent | undefined): void;
}

/** What every connection of one `sse()` listener shares, checked once at setup. */
export interface StreamConfig {
  handler: SseHandler;
  wire: OperatorFunction<SseEvent, string>;
  encodeOptions: EncodeOptions;
  heads: HeadSet;
  onError: ErrorHook;
  maxLastEventIdLength: number;
  limits: WriterLimits;
  /** gzip settings, when streams are compressed for clients that accept it. */
  compress: ZlibOptions | undefined;
  /** The retry preamble, which is not counted as an event. */
  preamble: string | undefined;
  stats: SseStats;
  live: Set<LiveStream>;
  onConnect: ((ctx: SseContext) => void) | undefined;
  onDisconnect: ((ctx: SseContext, reason: EndReason) => void) | undefined;
  /** The answer to a request still waiting for its handler when the listener closes. */
  closing: HttpError;
}

type State = 'pending' | 'subscribing' | 'head' | 'open' | 'done';

/**
 * Serves one GET (or HEAD) request as a stream, from the handler call to the one teardown.
 *
 * States: `pending` until the handler's Observable is subscribed; `subscribing` while synchronous
 * emissions are only queued, so an error then can still be a status; `open` once the head is out;
 * `done` after the teardown, which runs once whatever ends the request.
 */
export function serveStream(
  req: SseRequest,
  res: SseResponse,
  config: StreamConfig,
  release: () => void,
): void {
  const { heads, onError, stats } = config;
  const http2 = isHttp2(req);
  const controller = new AbortController();
  const gzip =
    config.compress !== undefined && acceptsGzip(req.headers['accept-encoding'])
      ? config.compress
      : undefined;
  const writer = createWriter(
    res,
    config.limits,
    stats,
    () => {
      if (state === 'done') return;
      stats.closedSlow++;
      finish('slow', () => {
        writer.discard();
        res.destroy();
      });
    },
    gzip,
  );
  let ctx: SseContext | undefined;
  let state: State = 'pending';
  let subscription: Subscription | undefined;

  const report = (error: unknown): SseEvent | undefined => {
    stats.errors++;
    if (ctx !== undefined) return askOnError(onError, error, ctx);
    logError(error);
    return undefined;
  };

  const finish = (reason: EndReason, end: () => void): void => {
    if (state === 'done') return;
    const wasOpen = state === 'open';
    state = 'done';
    res.off('close', onClose);
    if (!http2) req.socket.off('close', onClose);
    config.live.delete(live);
    release();
    if (wasOpen) {
      stats.open--;
      if (ctx !== undefined) callHook(config.onDisconnect, ctx, reason);
    }
    // Abort first: code that listens on the signal learns the stream is over even if a teardown
    // below throws.
    controller.abort();
    try {
      end();
    } catch (error) {
      // Answering failed (node refused a header, the socket broke): the request still ends.
      logError(error);
      res.destroy();
    }
    try {
      subscription?.unsubscribe();
    } catch (error) {
      // A teardown of the user's that throws must not become an uncaught exception in 'close'.
      report(error);
    }
  };

  const onClose = (): void => {
    finish('client', () => {
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
    stats.refused++;
    finish('error', () => {
      writer.discard();
      refuse(res, error, heads.extra);
    });
  };

  const opened = (): void => {
    state = 'open';
    stats.open++;
    stats.opened++;
    if (ctx !== undefined) callHook(config.onConnect, ctx);
  };

  const live: LiveStream = {
    res,
    shutdown(last) {
      if (state === 'done') return;
      if (state !== 'open') {
        stats.refused++;
        finish('shutdown', () => {
          writer.discard();
          refuse(res, config.closing, heads.extra);
        });
        return;
      }
      const socket = res.socket;
      finish('shutdown', () => {
        endWith(last);
        // A keep-alive socket would otherwise idle on until its timeout, holding server.close().
        // An HTTP/2 session is shared by other streams: closing it is the server's business.
        if (!http2) res.once('finish', () => socket?.end());
      });
    },
  };

  /** The stream completed: what is queued goes out, then the response ends. */
  const complete = (): void => {
    finish('complete', () => {
      writer.end();
    });
  };

  const endAfterError = (error: unknown): void => {
    const last = report(error);
    finish('error', () => {
      endWith(last);
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
    const head = wantsKeepAlive(req) ? heads.keepAlive : heads.plain;
    if (req.method === 'HEAD') {
      // The same answer a GET gets: the handler runs and the stream is subscribed for just the
      // synchronous window in which an error is still a status; then it is let go, unwritten.
      let refusal: { error: unknown } | undefined;
      (stream as Observable<SseEvent>)
        .subscribe({
          error: (error: unknown) => {
            refusal = { error };
          },
        })
        .unsubscribe();
      if (refusal !== undefined) {
        fail(refusal.error);
        return;
      }
      // Not a stream: no figures, no hooks.
      state = 'head';
      writer.open(head);
      complete();
      return;
    }
    state = 'subscribing';
    let early: { error: unknown } | 'complete' | undefined;
    const observer: Observer<string> = {
      next: (frame) => {
        writer.write(frame, frame !== heartbeatFrame && frame !== config.preamble);
      },
      error: (error: unknown) => {
        if (state === 'subscribing') early = { error };
        else endAfterError(error);
      },
      complete: () => {
        if (state === 'subscribing') early = 'complete';
        else complete();
      },
    };
    const feed = feedOf(stream);
    subscription =
      feed === undefined
        ? (stream as Observable<SseEvent>).pipe(config.wire).subscribe(observer)
        : subscribeFed(feed, config, observer);
    // The observer may have ended the request during subscribe(); TypeScript cannot see that.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (state !== 'subscribing') return;
    if (early !== undefined && early !== 'complete') {
      fail(early.error);
      return;
    }
    opened();
    writer.open(head);
    if (early === 'complete') complete();
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

  /** Ends the response, with `last` as its final event if there is one and it can be encoded. */
  const endWith = (last: SseEvent | undefined): void => {
    writer.end(lastFrame(last, config.encodeOptions));
  };

  config.live.add(live);
  res.once('close', onClose);
  // A pipelined request's response is not yet attached to the socket, so it hears no 'close'
  // of its own when the client leaves: the socket's is the one that always comes. On HTTP/2 each
  // stream closes on its own (its 'close' is the response's), and the session's socket is shared.
  if (!http2) req.socket.once('close', onClose);
  // A write racing a departing client fails with EPIPE or ECONNRESET: a normal ending, not an
  // error. The listener stays for the response's life, since such an error can come after end().
  res.on('error', ignoreDeparture);
  if (req.socket.destroyed) {
    // (On HTTP/2, `req.socket.destroyed` is the stream's.) The client left before we were called (say, during slow middleware): 'close' has been.
    onClose();
    return;
  }
  try {
    ctx = createContext(req, controller.signal, config.maxLastEventIdLength);
    const result = config.handler(ctx);
    if (!isObservable(result) && isPromiseLike(result)) {
      // `fail` ends the request whatever happens; should it throw all the same, the request is
      // cut rather than the rejection left unhandled.
      Promise.resolve(result)
        .then(startSafely, fail)
        .catch((error: unknown) => {
          logError(error);
          res.destroy();
        });
    } else startSafely(result);
  } catch (error) {
    fail(error);
  }
}

/** HTTP/1.1 keeps the connection unless the client asked to close it; 1.0 and HTTP/2 get no header. */
function wantsKeepAlive(req: SseRequest): boolean {
  return (
    req.httpVersionMajor === 1 &&
    req.httpVersionMinor >= 1 &&
    !/(?:^|,)\s*close\s*(?:,|$)/i.test(req.headers.connection ?? '')
  );
}

/**
 * A channel stream returned as it is: its events come straight from the channel (replay, then
 * live) and are encoded — a lookup of the frame the channel encoded once — and written, with no
 * Observable pipeline per stream; that per-event, per-client work was the most of what a
 * channel's fan-out cost beyond the writes. The retry preamble and the heartbeats come from the
 * same `wire` operator on a source that never emits, so here the heartbeat beats on a fixed
 * period, traffic or not (a 3-byte comment every `heartbeat` ms).
 */
function subscribeFed(feed: Feed, config: StreamConfig, observer: Observer<string>): Subscription {
  const subscription = new Subscription();
  let over = false;
  subscription.add(() => {
    over = true;
  });
  subscription.add(NEVER.pipe(config.wire).subscribe(observer));
  let stop: () => void;
  try {
    stop = feed({
      next: (event) => {
        if (over) return;
        let frame: string;
        try {
          frame = encode(event, config.encodeOptions);
        } catch (error) {
          over = true;
          observer.error(error);
          return;
        }
        observer.next(frame);
      },
      closed: () => over,
      // Once over (an encoding failure, say), a completion that follows changes nothing: the
      // failure is what the request ends with, as an RxJS subscriber would keep it.
      complete: () => {
        if (over) return;
        over = true;
        observer.complete();
      },
    });
  } catch (error) {
    // The feed failed to start: the request ends as if the Observable had errored on subscribe,
    // and the heartbeat goes with the subscription.
    over = true;
    observer.error(error);
    return subscription;
  }
  subscription.add(stop);
  return subscription;
}
