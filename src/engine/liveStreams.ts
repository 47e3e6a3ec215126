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
 * The open streams of one `sse()` listener (both doors), and their heartbeat: one sweep every
 * quarter of the `heartbeat` period, over all of them, instead of a timer per stream that every
 * write would have to push back. A write costs a stream one counter reset; the sweep counts up
 * and beats the streams whose count reaches 4. So the first heartbeat after a write comes after ¾
 * to all of the period, then one every period (four sweeps) while the stream stays idle.
 *
 * Streams that fell silent in the same quarter beat in the same sweep: with 19,000 idle streams
 * in one process, some 4,750 heartbeats of ~25 µs each (bench idle scenario), so the last of them
 * goes out ~0.1 s after the sweep began. Sweeps are due at fixed times from the first (period/4
 * apart on the scheduler's clock): that lateness, or a busy event loop's, delays one heartbeat
 * and never adds up over the sweeps that follow.
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
    const scheduler = this.#scheduler;
    let due = scheduler.now() + tick;
    this.#sweep = scheduler.schedule(function (this: SchedulerAction<undefined>) {
      // A stream may end in its tick (a heartbeat past its bound): a Set walk allows that.
      for (const live of streams) live.tick(beat);
      // Due against the clock, not a tick after this one ran: a sweep that ran late (a busy
      // loop) or long (thousands of heartbeats) does not push every later one back, which over
      // the four sweeps of a period made idle streams' heartbeats late by four times that.
      // After a stall longer than a tick, the sweeps start over from now rather than catch up;
      // and never more than a tick away, should the clock step back (Date.now() after an NTP
      // step) or stand still (a scheduler whose now() does not move).
      const now = scheduler.now();
      due += tick;
      if (due <= now || due > now + tick) due = now + tick;
      this.schedule(undefined, due - now);
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
