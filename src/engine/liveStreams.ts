import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import type { SseEvent } from '../types.js';

/** A stream of the listener's, as its shutdown and its heartbeat see it. */
export interface LiveStream {
  /** Ends the stream now: the last event (if any) is written, the backlog flushed, the response ended. */
  shutdown(last: SseEvent | undefined): void;
  /**
   * A sweep (a quarter of the heartbeat period) went by: a stream that has written nothing for
   * `beat` of them sends a heartbeat.
   */
  tick(beat: number): void;
  /** Calls `done` once the response has finished or is gone (at once if it is). */
  settled(done: () => void): void;
  /** Breaks the response off now (a shutdown's timeout ran out). */
  destroy(): void;
}

/**
 * The open streams of one `sse()` listener (both doors), and their heartbeat: one sweep every quarter of the
 * `heartbeat` period, over all of them, instead of a timer per stream that every write would have
 * to push back. A write costs a stream one counter reset; the sweep counts up and beats the
 * streams whose count reaches 4. So a stream idle for ¾ to all of the period gets a heartbeat,
 * and no stream is silent for longer than the period (timers willing). Streams that fell silent
 * in the same quarter beat in the same sweep: with 10,000 idle streams, a few ms of writes.
 *
 * A period under 4 ms is swept every ms or so (node's timers run no finer), counting to fewer:
 * there a heartbeat may come sooner (at 1 ms, anywhere within the period after a write).
 * The sweep runs only while there are streams, on the listener's scheduler.
 */
export class LiveStreams implements Iterable<LiveStream> {
  readonly #streams = new Set<LiveStream>();
  /** Sweeps per period, and the ms between two. */
  readonly #beat: number;
  readonly #tick: number | undefined;
  readonly #scheduler: SchedulerLike;
  #sweep: Subscription | undefined;

  /** `heartbeat`: the period in ms, or `false` for none. */
  constructor(heartbeat: number | false, scheduler: SchedulerLike) {
    this.#beat = heartbeat === false ? 0 : Math.min(4, Math.max(1, Math.floor(heartbeat)));
    this.#tick = heartbeat === false ? undefined : heartbeat / this.#beat;
    this.#scheduler = scheduler;
  }

  get size(): number {
    return this.#streams.size;
  }

  add(stream: LiveStream): void {
    this.#streams.add(stream);
    const tick = this.#tick;
    if (tick === undefined || this.#sweep !== undefined) return;
    const streams = this.#streams;
    const beat = this.#beat;
    this.#sweep = this.#scheduler.schedule(function (this: SchedulerAction<undefined>) {
      // A stream may end in its tick (a heartbeat past its bound): a Set walk allows that.
      for (const live of streams) live.tick(beat);
      this.schedule(undefined, tick);
    }, tick);
  }

  delete(stream: LiveStream): void {
    this.#streams.delete(stream);
    if (this.#streams.size > 0 || this.#sweep === undefined) return;
    // Nothing is left running once the last stream is gone.
    this.#sweep.unsubscribe();
    this.#sweep = undefined;
  }

  [Symbol.iterator](): Iterator<LiveStream> {
    return this.#streams[Symbol.iterator]();
  }
}
