import {
  asyncScheduler,
  defer,
  isObservable,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { streamRequest } from '../channel/options.js';
import { checkScheduler } from '../check.js';
import { describe } from '../describe.js';
import { HttpError } from '../errors.js';
import type { SseEvent } from '../wire/event.js';
import { Answer } from './answer.js';
import { checkAnswerId, checkResumableOptions, type CheckedResumableOptions } from './options.js';
import type { ResumableOptions, SseResumableStreams, StreamFrom } from './types.js';

/** Resumable streams held in this process's memory: see {@link createResumableStreams}. */
export interface ResumableStreams extends SseResumableStreams {
  /**
   * Subscribes `producer` once, now, and returns the new answer's id (a random UUID).
   * @param producer The answer's events. It runs to its end whether or not anyone reads it.
   * @returns The answer's id.
   * @throws {TypeError} when `producer` is not an Observable.
   * @throws {HttpError} `503` when `maxStreams` answers are held, or after `close()`.
   */
  start(producer: Observable<SseEvent>): string;
  /**
   * The answer's events after `from`'s Last-Event-ID (all without one), then live ones; completes
   * when the answer ends. On subscribe it errors with an `HttpError` `404` (unknown or expired)
   * or `400` (a Last-Event-ID that is not `0`…`n`, an id this answer has given).
   * @param id The answer's id, as `start` returned it.
   * @param from Where the client is: its handler's context, `{ lastEventId }`, the id itself, or
   *   `undefined` for all of the answer.
   * @returns A cold Observable of the answer's events, each with its id `<n>`.
   * @throws {TypeError} when `id` is not a string, or `from` not a context, `{ lastEventId }`,
   * a string or `undefined`.
   */
  read(id: string, from?: StreamFrom): Observable<SseEvent>;
  /**
   * Whether the answer `id` can be read now (running, or ended within `ttl`).
   * @param id The answer's id.
   * @returns Whether `read(id)` would find it.
   * @throws {TypeError} when `id` is not a string.
   */
  has(id: string): boolean;
  /** Unsubscribes every producer, completes every reader, drops every answer, clears the timer. */
  close(): void;
  /** How many answers are held now: running, and ended within `ttl`. */
  readonly size: number;
}

/**
 * Creates a store of resumable streams: answers that run whether or not anyone is reading, so
 * that a client that drops mid-answer (a reload, a train tunnel) comes back and gets the rest.
 *
 * `start(producer)` subscribes the producer once, now, and returns the answer's id: a random,
 * unguessable UUID, which is all a reader needs. Each event the producer gives is kept, encoded
 * once, with the id `<n>` (`0`, `1`, …) in place of any id it had. `read(id, from)` is what a
 * handler returns: every event after the client's Last-Event-ID (all of them without one), then
 * live ones, nothing missed and nothing twice; it completes when the answer ends, and at once
 * for an answer that has ended. An answer whose producer errors (or gives something `encode`
 * refuses, or passes `maxBytesPerStream`) ends with an event `{ event: 'failed', data: 'error' }`
 * (`'too-large'` for the bound): readers never see the error itself, `options.onError` does.
 * (Not `error`: an EventSource would hand that to its `onerror`, with its own connection errors.)
 *
 * Reading an id that is unknown, or whose answer ended more than `ttl` ms ago, errors on
 * subscribe with an `HttpError` `404`, and one whose Last-Event-ID is not an id of that answer
 * with a `400` (the client cannot be answered from the start without showing some of it twice),
 * so that through `sse()` each is a status, before the head.
 *
 * Expiry is one timer for all answers, set only while an ended answer waits to expire and
 * `unref`ed where the timer allows it (node): it never keeps the process alive. `close()` stops
 * every producer, completes every reader and clears the timer.
 *
 * @param options `ttl` (ms, defaults to `600000`), `maxStreams` (defaults to `10000`),
 *   `maxBytesPerStream` (bytes, defaults to `1048576`) and `onError`; all optional.
 * @param scheduler The clock of `ttl`. Defaults to `asyncScheduler`; a `TestScheduler` in marble
 *   tests.
 * @returns The store: `start`, `read`, `has`, `close` and its `size`.
 * @throws {TypeError} for an option that is not one (named in the message), or a scheduler that
 * is not a `SchedulerLike`.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { createResumableStreams } from 'rx-sse/resumable';
 *
 * const answers = createResumableStreams({ ttl: 60_000 });
 * const id = answers.start(of({ data: 'to' }, { data: 'be' }, { data: 'or' }));
 * answers.read(id, { lastEventId: '0' }).subscribe((event) => console.log(event.id, event.data));
 * // Logs:
 * // 1 be
 * // 2 or
 * ```
 */
export function createResumableStreams(
  options: ResumableOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): ResumableStreams {
  const checked = checkResumableOptions('createResumableStreams', options);
  checkScheduler('createResumableStreams', 'scheduler', scheduler);
  return new MemoryResumableStreams(checked, scheduler);
}

class MemoryResumableStreams implements ResumableStreams {
  readonly #options: CheckedResumableOptions;
  readonly #scheduler: SchedulerLike;
  readonly #answers = new Map<string, Answer>();
  /** Ended answers in the order they ended, which (one ttl for all) is the order they expire. */
  readonly #ended = new Set<Answer>();
  #timer: Subscription | undefined;
  #closed = false;

  constructor(options: CheckedResumableOptions, scheduler: SchedulerLike) {
    this.#options = options;
    this.#scheduler = scheduler;
  }

  start(producer: Observable<SseEvent>): string {
    if (!isObservable(producer)) {
      throw new TypeError(
        `answers.start: producer must be an Observable of events (got ${describe(producer)})`,
      );
    }
    if (this.#closed) throw new HttpError(503, 'The server is shutting down');
    this.#expire();
    if (this.#answers.size >= this.#options.maxStreams) {
      throw new HttpError(503, 'Too many answers at once; try again later');
    }
    const id = crypto.randomUUID();
    const answer = new Answer(id, this.#options, this.#scheduler, (ended) => {
      this.#ended.add(ended);
      this.#arm();
    });
    this.#answers.set(id, answer);
    answer.run(producer);
    return id;
  }

  read(id: string, from?: StreamFrom): Observable<SseEvent> {
    checkAnswerId('answers.read', id);
    const { lastEventId } = streamRequest('answers.read', from, {});
    // Looked up on subscribe, not now: what counts is whether it can be read when it is read.
    return defer(() => {
      const answer = this.#find(id);
      if (answer === undefined) throw new HttpError(404, 'No such answer, or it has expired');
      return answer.after(lastEventId);
    });
  }

  has(id: string): boolean {
    checkAnswerId('answers.has', id);
    return this.#find(id) !== undefined;
  }

  get size(): number {
    this.#expire();
    return this.#answers.size;
  }

  close(): void {
    this.#closed = true;
    this.#timer?.unsubscribe();
    this.#timer = undefined;
    const answers = [...this.#answers.values()];
    this.#answers.clear();
    this.#ended.clear();
    for (const answer of answers) answer.close();
  }

  #find(id: string): Answer | undefined {
    this.#expire();
    return this.#answers.get(id);
  }

  /** Drops every answer whose ttl is over: exact whenever asked, whatever the timer's lateness. */
  #expire(): void {
    const now = this.#scheduler.now();
    for (const answer of this.#ended) {
      if ((answer.endedAt as number) + this.#options.ttl > now) return;
      this.#ended.delete(answer);
      this.#answers.delete(answer.id);
    }
  }

  /** Sets the one timer for the next answer to expire, unless it is set or none waits. */
  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    const [first] = this.#ended;
    if (first === undefined) return;
    const delay = Math.max(
      0,
      (first.endedAt as number) + this.#options.ttl - this.#scheduler.now(),
    );
    this.#timer = this.#scheduler.schedule(() => {
      this.#timer = undefined;
      this.#expire();
      this.#arm();
    }, delay);
    unref(this.#timer);
  }
}

/**
 * Lets node exit with the timer pending: RxJS's async actions keep the `setInterval` handle in
 * `id` and offer no unref of their own. Any other scheduler's action is left as it is.
 */
function unref(action: Subscription): void {
  const handle = (action as { id?: unknown }).id;
  if (typeof handle === 'object' && handle !== null && 'unref' in handle) {
    const release = handle.unref;
    if (typeof release === 'function') release.call(handle);
  }
}
