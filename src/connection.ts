import type { ZlibOptions } from 'node:zlib';
import { isObservable, Subscriber, type Observable, type Unsubscribable } from 'rxjs';
import { acceptsGzip } from './compress.js';
import { RequestContext, type SseContext } from './context.js';
import { describe, encode, type EncodeOptions } from './encode.js';
import { HttpError } from './errors.js';
import type { SseEvent } from './event.js';
import { feedOf, type Feed } from './feed.js';
import type { HeadSet } from './headers.js';
import { isHttp2, type SseRequest, type SseResponse } from './http.js';
import type { LiveStream, LiveStreams } from './liveStreams.js';
import { refuse } from './refuse.js';
import {
  askOnError,
  callHook,
  ignoreDeparture,
  isPromiseLike,
  lastFrame,
  logError,
} from './report.js';
import type { SseStats } from './stats.js';
import { heartbeatFrame } from './toWire.js';
import { Writer, type WriterLimits } from './writer.js';

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

/** What every connection of one `sse()` listener shares, checked once at setup. */
export interface StreamConfig {
  handler: SseHandler;
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
  /** The listener's open streams, with their heartbeat. */
  live: LiveStreams;
  onConnect: ((ctx: SseContext) => void) | undefined;
  onDisconnect: ((ctx: SseContext, reason: EndReason) => void) | undefined;
  /** The answer to a request still waiting for its handler when the listener closes. */
  closing: HttpError;
}

type State = 'pending' | 'subscribing' | 'head' | 'open' | 'done';

/** Serves one GET (or HEAD) request as a stream, from the handler call to the one teardown. */
export function serveStream(
  req: SseRequest,
  res: SseResponse,
  config: StreamConfig,
  release: () => void,
): void {
  new Connection(req, res, config, release).serve();
}

/**
 * One request served as a stream. It is an object with methods, not a nest of closures, because
 * an idle stream's memory is mostly what it is made of: this way it costs one instance, the
 * writer's and the subscriber's, and the one callback node's events need.
 *
 * States: `pending` until the handler's Observable is subscribed; `subscribing` while synchronous
 * emissions are only queued, so an error then can still be a status; `open` once the head is out;
 * `done` after the teardown, which runs once whatever ends the request.
 */
class Connection implements LiveStream {
  readonly req: SseRequest;
  readonly res: SseResponse;
  readonly #config: StreamConfig;
  readonly #release: () => void;
  readonly #writer: Writer;
  #state: State = 'pending';
  #ctx: RequestContext | undefined;
  #intake: Intake | undefined;
  /** What ended the stream while it was being subscribed, to be acted on once subscribe returns. */
  #early: { error: unknown } | 'complete' | undefined;
  /** Heartbeat sweeps since the last write (see {@link LiveStreams}). */
  #idle = 0;
  /** The client left, or its socket closed: the response's 'close'. */
  readonly #onClose = (): void => {
    this.#finish('client', 'drop');
  };

  constructor(req: SseRequest, res: SseResponse, config: StreamConfig, release: () => void) {
    this.req = req;
    this.res = res;
    this.#config = config;
    this.#release = release;
    const gzip =
      config.compress !== undefined && acceptsGzip(req.headers['accept-encoding'])
        ? config.compress
        : undefined;
    this.#writer = new Writer(
      res,
      config.limits,
      config.stats,
      () => {
        this.#tooSlow();
      },
      gzip,
    );
  }

  serve(): void {
    const { req, res } = this;
    const config = this.#config;
    config.live.add(this);
    // The response owns its connection by now (`sse()` holds a pipelined request until it does),
    // so its 'close' comes when the socket's does; on HTTP/2, when its stream's does. Nothing is
    // listened for on the socket, which pipelined requests and HTTP/2 streams share.
    res.on('close', this.#onClose);
    // A write racing a departing client fails with EPIPE or ECONNRESET: a normal ending, not an
    // error. The listener stays for the response's life, since such an error can come after end().
    res.on('error', ignoreDeparture);
    if (req.socket.destroyed) {
      // (On HTTP/2, `req.socket.destroyed` is the stream's.) The client left before we were
      // called (say, during slow middleware): 'close' has been.
      this.#onClose();
      return;
    }
    try {
      const ctx = new RequestContext(req, config.maxLastEventIdLength);
      this.#ctx = ctx;
      const result = config.handler(ctx);
      if (!isObservable(result) && isPromiseLike(result)) {
        // `fail` ends the request whatever happens; should it throw all the same, the request is
        // cut rather than the rejection left unhandled.
        Promise.resolve(result)
          .then(
            (stream) => {
              this.#startSafely(stream);
            },
            (error: unknown) => {
              this.#fail(error);
            },
          )
          .catch((error: unknown) => {
            logError(error);
            res.destroy();
          });
      } else this.#startSafely(result);
    } catch (error) {
      this.#fail(error);
    }
  }

  shutdown(last: SseEvent | undefined): void {
    if (this.#state === 'done') return;
    if (this.#state !== 'open') {
      this.#config.stats.refused++;
      this.#finish('shutdown', 'refuse', this.#config.closing);
      return;
    }
    this.#finish('shutdown', 'end', last);
    const { res } = this;
    const socket = res.socket;
    // A keep-alive socket would otherwise idle on until its timeout, holding server.close().
    // An HTTP/2 session is shared by other streams: closing it is the server's business.
    if (!isHttp2(this.req)) res.once('finish', () => socket?.end());
  }

  tick(beat: number): void {
    if (this.#state === 'open' && ++this.#idle >= beat) this.#write(heartbeatFrame, false);
  }

  /** An event of the stream: encoded (a lookup, for a channel's) and queued. */
  event(event: SseEvent): void {
    let frame: string;
    try {
      frame = encode(event, this.#config.encodeOptions);
    } catch (error) {
      // As an operator would: the stream errors, and its source is let go.
      this.#intake?.error(error);
      return;
    }
    this.#write(frame, true);
  }

  failed(error: unknown): void {
    if (this.#state === 'subscribing') this.#early = { error };
    else this.#endAfterError(error);
  }

  completed(): void {
    if (this.#state === 'subscribing') this.#early = 'complete';
    else this.#finish('complete', 'end');
  }

  #write(frame: string, event: boolean): void {
    this.#idle = 0;
    this.#writer.write(frame, event);
  }

  #startSafely(stream: unknown): void {
    // Whatever throws while a stream starts ends the request like an error before the head;
    // inside a promise callback it would otherwise be an unhandled rejection.
    try {
      this.#start(stream);
    } catch (error) {
      this.#fail(error);
    }
  }

  #start(stream: unknown): void {
    const { req } = this;
    const config = this.#config;
    if (!isObservable(stream)) {
      this.#fail(
        new TypeError(
          `rx-sse: ${this.#handlerName()} returned ${describe(stream)}, not an Observable of events`,
        ),
      );
      return;
    }
    if (this.#state !== 'pending') return;
    const head = wantsKeepAlive(req) ? config.heads.keepAlive : config.heads.plain;
    if (req.method === 'HEAD') {
      // The same answer a GET gets: the handler runs and the stream is subscribed for just the
      // synchronous window in which an error is still a status; then it is let go, unwritten.
      const probe = new Probe(config.encodeOptions);
      this.#subscribe(stream as Observable<SseEvent>, probe, undefined);
      try {
        probe.unsubscribe();
      } catch (error) {
        // The stream's own teardown: reported, as a GET's would be when its client leaves.
        this.#report(error);
      }
      if (probe.failure !== undefined) {
        this.#fail(probe.failure.error);
        return;
      }
      // Not a stream: no figures, no hooks.
      this.#state = 'head';
      this.#writer.open(head);
      this.#finish('complete', 'end');
      return;
    }
    this.#state = 'subscribing';
    if (config.preamble !== undefined) this.#write(config.preamble, false);
    const intake = new Intake(this);
    this.#intake = intake;
    this.#subscribe(stream as Observable<SseEvent>, intake, feedOf(stream));
    // The intake may have ended the request during subscribe(); TypeScript cannot see that.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (this.#state !== 'subscribing') return;
    const early = this.#early;
    if (early !== undefined && early !== 'complete') {
      this.#fail(early.error);
      return;
    }
    this.#state = 'open';
    config.stats.open++;
    config.stats.opened++;
    this.#writer.open(head);
    // After the head, as its doc says: a hook that ends the stream ends an open one.
    if (this.#ctx !== undefined) callHook(config.onConnect, this.#ctx);
    if (early === 'complete') this.#finish('complete', 'end');
  }

  /** Subscribes `subscriber` to the stream, or to its feed when there is one. */
  #subscribe(
    stream: Observable<SseEvent>,
    subscriber: Subscriber<SseEvent>,
    feed: Feed | undefined,
  ): void {
    try {
      const subscription = feed === undefined ? stream.subscribe(subscriber) : feed(subscriber);
      if (
        typeof (subscription as Partial<Unsubscribable> | undefined)?.unsubscribe !== 'function'
      ) {
        throw new TypeError(
          `rx-sse: ${this.#handlerName()} returned an Observable-like whose subscribe() gave ${describe(subscription)}, not a Subscription`,
        );
      }
      if (feed !== undefined) subscriber.add(subscription);
    } catch (error) {
      // Once the stream has ended, a throw here is its own teardown's (RxJS runs it as it is
      // added to a closed subscriber): reported as any teardown's, the ending kept. Before,
      // subscribe() itself failed: as if the stream had errored.
      if (subscriber.closed) this.#report(error);
      else subscriber.error(error);
    }
  }

  /** Names the handler in an error: `the handler for GET /path`. */
  #handlerName(): string {
    return `the handler for ${this.req.method ?? ''} ${this.req.url ?? ''}`;
  }

  #report(error: unknown): SseEvent | undefined {
    this.#config.stats.errors++;
    if (this.#ctx !== undefined) return askOnError(this.#config.onError, error, this.#ctx);
    logError(error);
    return undefined;
  }

  #fail(error: unknown): void {
    const refusal = error instanceof HttpError;
    if (this.#state === 'done') {
      // The client is gone. An abort we caused through ctx.signal is no error; anything else is.
      if (!refusal && this.#ctx?.isEndOf(error) !== true) this.#report(error);
      return;
    }
    if (!refusal) this.#report(error);
    this.#config.stats.refused++;
    this.#finish('error', 'refuse', error);
  }

  #endAfterError(error: unknown): void {
    const last = this.#report(error);
    this.#finish('error', 'end', last);
  }

  #tooSlow(): void {
    if (this.#state === 'done') return;
    this.#config.stats.closedSlow++;
    this.#finish('slow', 'drop');
  }

  /**
   * The one teardown. How the response ends: `drop` what is queued (the client is gone, or is cut
   * for being too slow); `refuse` — before the head — with `arg` as the error its status comes
   * from; or `end` it after what is queued, with `arg` as its last event if there is one.
   */
  #finish(reason: EndReason, how: 'drop' | 'refuse' | 'end', arg?: unknown): void {
    if (this.#state === 'done') return;
    const { res } = this;
    const config = this.#config;
    const wasOpen = this.#state === 'open';
    this.#state = 'done';
    res.off('close', this.#onClose);
    config.live.delete(this);
    this.#release();
    const ctx = this.#ctx;
    if (wasOpen) {
      config.stats.open--;
      if (ctx !== undefined) callHook(config.onDisconnect, ctx, reason);
    }
    // The signal first: code that listens on it learns the stream is over even if a teardown
    // below throws.
    ctx?.end();
    try {
      if (how === 'end') {
        this.#writer.end(lastFrame(arg as SseEvent | undefined, config.encodeOptions));
      } else {
        this.#writer.discard();
        if (how === 'refuse') refuse(res, arg, config.heads.extra);
        else if (reason === 'slow') res.destroy();
      }
    } catch (error) {
      // Answering failed (node refused a header, the socket broke): the request still ends.
      logError(error);
      res.destroy();
    }
    try {
      this.#intake?.unsubscribe();
    } catch (error) {
      // A teardown of the user's that throws must not become an uncaught exception in 'close'.
      this.#report(error);
    }
  }
}

/**
 * A HEAD request's subscriber: it keeps an error of the synchronous window — the stream's, or an
 * event's that cannot be encoded, as a GET would meet it — and writes nothing.
 */
class Probe extends Subscriber<SseEvent> {
  failure: { error: unknown } | undefined;
  readonly #encodeOptions: EncodeOptions;

  constructor(encodeOptions: EncodeOptions) {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- see Intake
    super();
    this.#encodeOptions = encodeOptions;
  }

  protected override _next(event: SseEvent): void {
    try {
      encode(event, this.#encodeOptions);
    } catch (error) {
      this.error(error);
    }
  }

  protected override _error(error: unknown): void {
    this.failure = { error };
    this.unsubscribe();
  }
}

/**
 * The subscriber of a stream (or the target of a channel's feed), handing what comes to its
 * connection. A subscriber of our own, not an observer wrapped by `subscribe`: once it is closed
 * (an encoding failure, an unsubscribe) even a synchronous source stops being pulled — and one
 * object per stream instead of the observer, its wrapper and their closures.
 *
 * RxJS 7 marks Subscriber's constructor internal, "to be made internal in v8"; rxjs is a peer
 * dependency of major 7, and this class is the one place that relies on it.
 */
class Intake extends Subscriber<SseEvent> {
  readonly #connection: Connection;

  constructor(connection: Connection) {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- see the class comment
    super();
    this.#connection = connection;
  }

  protected override _next(event: SseEvent): void {
    this.#connection.event(event);
  }

  protected override _error(error: unknown): void {
    try {
      this.#connection.failed(error);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.#connection.completed();
    } finally {
      this.unsubscribe();
    }
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
