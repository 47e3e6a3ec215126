import type { SchedulerAction, SchedulerLike, Subscription } from 'rxjs';
import type { SseEvent } from './event.js';
import type { SseResponse } from './http.js';

/** A stream of the listener's, as its shutdown and its heartbeat see it. */
export interface LiveStream {
  readonly res: SseResponse;
  /** Ends the stream now: the last event (if any) is written, the backlog flushed, the response ended. */
  shutdown(last: SseEvent | undefined): void;
  /**
   * A quarter of the heartbeat period went by: a stream that has written nothing for
   * {@link beatTicks} of them sends a heartbeat.
   */
  tick(): void;
}

/** How many sweeps of nothing written make a stream due for a heartbeat. */
export const beatTicks = 4;

/**
 * The open streams of one `sse()` listener, and their heartbeat: one sweep every quarter of the
 * `heartbeat` period, over all of them, instead of a timer per stream that every write would have
 * to push back. A write costs a stream one counter reset; the sweep counts up and beats the
 * streams whose count reaches {@link beatTicks}. So a stream idle for ¾ to all of the period gets
 * a heartbeat, and no stream is silent for longer than the period (timers willing).
 *
 * The sweep runs only while there are streams, on the listener's scheduler.
 */
export class LiveStreams implements Iterable<LiveStream> {
  readonly #streams = new Set<LiveStream>();
  readonly #tick: number | undefined;
  readonly #scheduler: SchedulerLike;
  #sweep: Subscription | undefined;

  /** `heartbeat`: the period in ms, or `false` for none. */
  constructor(heartbeat: number | false, scheduler: SchedulerLike) {
    this.#tick = heartbeat === false ? undefined : heartbeat / beatTicks;
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
    this.#sweep = this.#scheduler.schedule(function (this: SchedulerAction<undefined>) {
      // A stream may end in its tick (a heartbeat past its bound): a Set walk allows that.
      for (const live of streams) live.tick();
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
