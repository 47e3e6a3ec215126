import { isObservable, type Observable, type Subscriber } from 'rxjs';
import { describe } from '../describe.js';
import { HttpError } from '../errors.js';
import type { EndReason, SseEvent } from '../types.js';
import { encode } from '../wire/encode.js';
import { heartbeatFrame } from '../wire/toWire.js';
import type { EndableContext, StreamConfig, StreamRequest } from './config.js';
import type { LiveStream } from './liveStreams.js';
import { askOnError, callHook, lastFrame, logError } from './report.js';
import { settle } from './settle.js';
import type { Sink, SinkOwner } from './sink.js';
import { Intake, probe, subscribeTo, type IntakeTarget } from './subscribers.js';
import { Writer, type WriterOwner } from './writer.js';

type State = 'pending' | 'subscribing' | 'head' | 'open' | 'done';

/**
 * One request served as a stream, on either door: from the handler call to the one teardown,
 * writing to a {@link Sink}. It is an object with methods, not a nest of closures, because an
 * idle stream's memory is mostly what it is made of: this way it costs one instance, the
 * writer's and the subscriber's.
 *
 * States: `pending` until the handler's Observable is subscribed; `subscribing` while synchronous
 * emissions are only queued, so an error then can still be a status; `open` once the head is out;
 * `done` after the teardown, which runs once whatever ends the request.
 */
export class Stream<C> implements LiveStream, SinkOwner, IntakeTarget, WriterOwner {
  readonly #sink: Sink;
  readonly #request: StreamRequest<C>;
  readonly #config: StreamConfig<C>;
  readonly #release: () => void;
  readonly #writer: Writer;
  #state: State = 'pending';
  #ctx: (C & EndableContext) | undefined;
  #intake: Intake | undefined;
  /** What ended the stream while it was being subscribed, to be acted on once subscribe returns. */
  #early: { error: unknown } | 'complete' | undefined;
  /** Heartbeat sweeps since the last write (see {@link LiveStreams}). */
  #idle = 0;

  /** `release`: called once at the teardown, to give back what the door counted (an address). */
  constructor(sink: Sink, request: StreamRequest<C>, config: StreamConfig<C>, release: () => void) {
    this.#sink = sink;
    this.#request = request;
    this.#config = config;
    this.#release = release;
    this.#writer = new Writer(sink, config.limits, config.stats, this);
  }

  /** Calls the handler and serves what it returns. The sink is listened to first. */
  serve(): void {
    const config = this.#config;
    config.live.add(this);
    this.#sink.listen(this);
    // The client left before we were called (say, during slow middleware).
    if (this.#sink.gone) {
      this.left();
      return;
    }
    try {
      const ctx = this.#request.context();
      this.#ctx = ctx;
      settle(
        config.handler(ctx),
        (stream) => {
          this.#startSafely(stream);
        },
        (error) => {
          this.#fail(error);
        },
        () => {
          this.#sink.destroy();
        },
      );
    } catch (error) {
      this.#fail(error);
    }
  }

  shutdown(last: SseEvent | undefined): void {
    if (this.#state === 'done') return;
    if (this.#state !== 'open') {
      this.#config.stats.refused++;
      this.#finish('shutdown', { how: 'refuse', error: this.#config.closing });
      return;
    }
    this.#finish('shutdown', { how: 'end', last, hangUp: true });
  }

  tick(beat: number): void {
    if (this.#state === 'open' && ++this.#idle >= beat) this.#write(heartbeatFrame, false);
  }

  settled(done: () => void): void {
    this.#sink.settled(done);
  }

  destroy(): void {
    this.#sink.destroy();
  }

  drained(): void {
    this.#writer.drained();
  }

  left(): void {
    this.#finish('client', { how: 'drop' });
  }

  tooSlow(): void {
    if (this.#state === 'done') return;
    this.#config.stats.closedSlow++;
    this.#finish('slow', { how: 'drop' });
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
    else this.#finish('error', { how: 'end', last: this.#report(error), hangUp: false });
  }

  completed(): void {
    if (this.#state === 'subscribing') this.#early = 'complete';
    else this.#finish('complete', completion);
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
    if (this.#request.method === 'HEAD') {
      this.#probe(stream as Observable<SseEvent>);
      return;
    }
    this.#state = 'subscribing';
    if (config.preamble !== undefined) this.#write(config.preamble, false);
    const intake = new Intake(this);
    this.#intake = intake;
    this.#subscribe(stream as Observable<SseEvent>, intake);
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
    this.#writer.open(this.#ctx?.responseHeaders());
    // After the head, as its doc says: a hook that ends the stream ends an open one.
    if (this.#ctx !== undefined) callHook(config.onConnect, this.#ctx);
    if (early === 'complete') this.#finish('complete', completion);
  }

  /**
   * HEAD gets the same answer a GET would: the handler runs and the stream is subscribed for just
   * the synchronous window in which an error is still a status; then it is let go, unwritten.
   */
  #probe(stream: Observable<SseEvent>): void {
    const failure = probe(
      stream,
      this.#config.encodeOptions,
      () => this.#handlerName(),
      (error) => this.#report(error),
    );
    if (failure !== undefined) {
      this.#fail(failure.error);
      return;
    }
    // Not a stream: no figures, no hooks.
    this.#state = 'head';
    this.#writer.open(this.#ctx?.responseHeaders());
    this.#finish('complete', completion);
  }

  /** Subscribes `subscriber` to the stream. */
  #subscribe(stream: Observable<SseEvent>, subscriber: Subscriber<SseEvent>): void {
    subscribeTo(
      stream,
      subscriber,
      () => this.#handlerName(),
      (error) => this.#report(error),
    );
  }

  /** Names the handler in an error: `the handler for GET /path`. */
  #handlerName(): string {
    return `the handler for ${this.#request.name()}`;
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
    this.#finish('error', { how: 'refuse', error });
  }

  /**
   * The one teardown. How the response ends: `drop` what is queued (the client is gone, or is cut
   * for being too slow); `refuse` — before the head — with the error its status comes from; or
   * `end` it after what is queued, with `last` as its last event if there is one.
   */
  #finish(reason: EndReason, ending: Ending): void {
    if (this.#state === 'done') return;
    const config = this.#config;
    const wasOpen = this.#state === 'open';
    this.#state = 'done';
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
      if (ending.how === 'end') {
        this.#writer.end(lastFrame(ending.last, config.encodeOptions), ending.hangUp);
      } else {
        this.#writer.discard();
        if (ending.how === 'refuse') this.#sink.refuse(ending.error);
        else this.#sink.drop(reason === 'slow');
      }
    } catch (error) {
      // Answering failed (a header refused, the socket broke): the request still ends.
      logError(error);
      this.#sink.destroy();
    }
    try {
      this.#intake?.unsubscribe();
    } catch (error) {
      // A teardown of the user's that throws must not become an uncaught exception in 'close'.
      this.#report(error);
    }
  }
}

/** How {@link Stream}'s teardown ends the response. */
type Ending =
  | { how: 'end'; last: SseEvent | undefined; hangUp: boolean }
  | { how: 'refuse'; error: unknown }
  | { how: 'drop' };

/** The ending of a stream that completed: what is queued, then the end. */
const completion: Ending = { how: 'end', last: undefined, hangUp: false };
