import { Subject, takeUntil, type Observable, type SchedulerLike } from 'rxjs';
import type { EventId } from '../channel/eventId.js';
import { describe } from '../describe.js';
import { Hub } from '../channel/hub.js';
import { HttpError } from '../errors.js';
import { byteLength } from '../engine/byteLength.js';
import { encode, preEncode } from '../wire/encode.js';
import type { SseEvent } from '../wire/event.js';
import { parseSequence, type CheckedResumableOptions } from './options.js';
import type { FailReason } from './types.js';

/** The type of the event an answer that failed ends with; its data is a {@link FailReason}. */
export const failedEvent = 'failed';

// The channel's hub does the replay-then-live join; an answer's ids are its `<n>` as `0-<n>`,
// and the hub starts before the first, so that replaying after it gives everything.
const beforeFirst: EventId = { ms: 0, seq: -1 };
const unbounded = { maxEvents: Infinity, maxAge: Infinity };
const sequence = (n: number): EventId => ({ ms: 0, seq: n });

/**
 * One answer: its producer's subscription, the events it has given (encoded once, as they came)
 * and the readers listening for more. It ends once, for whichever reason comes first.
 */
export class Answer {
  readonly id: string;
  readonly #options: CheckedResumableOptions;
  readonly #scheduler: SchedulerLike;
  readonly #hub: Hub;
  readonly #stop = new Subject<void>();
  readonly #onEnd: (answer: Answer) => void;
  #next = 0;
  #bytes = 0;
  /** When the answer ended (scheduler time), or `undefined` while its producer runs. */
  endedAt: number | undefined;

  constructor(
    id: string,
    options: CheckedResumableOptions,
    scheduler: SchedulerLike,
    onEnd: (answer: Answer) => void,
  ) {
    this.id = id;
    this.#options = options;
    this.#scheduler = scheduler;
    this.#onEnd = onEnd;
    this.#hub = new Hub(unbounded, scheduler, beforeFirst);
  }

  /** Subscribes the producer; it may end the answer before this returns (a synchronous one). */
  run(producer: Observable<SseEvent>): void {
    // takeUntil rather than the subscription: a producer that emits synchronously can be
    // stopped from inside its own emission, before subscribe() has returned anything.
    producer.pipe(takeUntil(this.#stop)).subscribe({
      next: (event) => {
        this.#take(event);
      },
      error: (error: unknown) => {
        this.#fail('error', error);
      },
      complete: () => {
        this.#end();
      },
    });
  }

  /**
   * The events after `lastEventId` (all without one), then live ones until the answer ends.
   * @throws {HttpError} 400 for a Last-Event-ID that is not one of this answer's ids.
   */
  after(lastEventId: string | undefined): Observable<SseEvent> {
    if (lastEventId === undefined) return this.#hub.after(beforeFirst);
    const n = parseSequence(lastEventId);
    if (n === undefined || n >= this.#next) {
      // Not from the beginning: a client that shows what it has read would show it twice.
      throw new HttpError(400, 'Last-Event-ID is not an event of this answer');
    }
    return this.#hub.after(sequence(n));
  }

  /** Ends the answer without a word to its readers: the store is closing. */
  close(): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = this.#scheduler.now();
    this.#stop.next();
    this.#hub.complete();
  }

  #take(event: SseEvent): void {
    if (this.endedAt !== undefined) return;
    let kept: SseEvent;
    try {
      // Spread into a new object: `null` or a number is refused here, not made an id-only event.
      const value: unknown = event;
      if (typeof value !== 'object' || value === null) {
        throw new TypeError(`answers.start: the producer gave ${describe(value)}, not an event`);
      }
      kept = preEncode({ ...event, id: String(this.#next) });
    } catch (error) {
      this.#fail('error', error);
      return;
    }
    const bytes = byteLength(encode(kept));
    if (this.#bytes + bytes > this.#options.maxBytesPerStream) {
      const bound = String(this.#options.maxBytesPerStream);
      this.#fail(
        'too-large',
        new RangeError(`the answer passed maxBytesPerStream (${bound} bytes)`),
      );
      return;
    }
    this.#bytes += bytes;
    this.#append(kept);
  }

  #append(event: SseEvent): void {
    const n = this.#next++;
    this.#hub.append({ id: sequence(n), event });
  }

  #fail(reason: FailReason, error: unknown): void {
    if (this.endedAt !== undefined) return;
    this.#append(preEncode({ event: failedEvent, id: String(this.#next), data: reason }));
    this.#end();
    try {
      this.#options.onError(error, this.id);
    } catch (thrown) {
      console.error('rx-sse/resumable: options.onError threw:', thrown);
    }
  }

  #end(): void {
    if (this.endedAt !== undefined) return;
    this.endedAt = this.#scheduler.now();
    // Stopping first: what the producer does as it is unsubscribed finds the answer ended.
    this.#stop.next();
    this.#hub.complete();
    this.#onEnd(this);
  }
}
