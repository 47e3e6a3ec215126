import { Subscriber, type Observable, type Unsubscribable } from 'rxjs';
import { describe } from '../describe.js';
import type { EncodeOptions } from '../options.js';
import type { SseEvent } from '../types.js';
import { encode } from '../wire/encode.js';

/** What an {@link Intake} hands a stream's events, error and completion to. */
export interface IntakeTarget {
  event(event: SseEvent): void;
  failed(error: unknown): void;
  completed(): void;
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
 * The subscriber of a stream, handing what comes to its
 * stream. A subscriber of our own, not an observer wrapped by `subscribe`: once it is closed
 * (an encoding failure, an unsubscribe) even a synchronous source stops being pulled — and one
 * object per stream instead of the observer, its wrapper and their closures.
 *
 * RxJS 7 marks Subscriber's constructor internal, "to be made internal in v8"; rxjs is a peer
 * dependency of major 7, and this class is the one place that relies on it.
 */
export class Intake extends Subscriber<SseEvent> {
  readonly #stream: IntakeTarget;

  constructor(stream: IntakeTarget) {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- see the class comment
    super();
    this.#stream = stream;
  }

  protected override _next(event: SseEvent): void {
    this.#stream.event(event);
  }

  protected override _error(error: unknown): void {
    try {
      this.#stream.failed(error);
    } finally {
      this.unsubscribe();
    }
  }

  protected override _complete(): void {
    try {
      this.#stream.completed();
    } finally {
      this.unsubscribe();
    }
  }
}

/**
 * Subscribes `subscriber` to `stream`. What `subscribe()` throws (or the `TypeError` for an
 * Observable-like that gave no Subscription; `name` names the handler in it) errors the
 * subscriber — as if the stream had errored — unless the subscriber has ended already: then it is
 * the stream's own teardown's (RxJS runs a teardown added to a closed subscriber at once), and is
 * handed to `report`, the ending kept.
 */
export function subscribeTo(
  stream: Observable<SseEvent>,
  subscriber: Subscriber<SseEvent>,
  name: () => string,
  report: (error: unknown) => void,
): void {
  try {
    const subscription: unknown = stream.subscribe(subscriber);
    if (typeof (subscription as Partial<Unsubscribable> | undefined)?.unsubscribe !== 'function') {
      throw new TypeError(
        `rx-sse: ${name()} returned an Observable-like whose subscribe() gave ${describe(subscription)}, not a Subscription`,
      );
    }
    compactTeardowns(subscriber);
  } catch (error) {
    if (subscriber.closed) report(error);
    else subscriber.error(error);
  }
}

/**
 * Subscribes a {@link Probe} to `stream` for the synchronous window only, and returns the error
 * met in it, if any (a HEAD request's answer is then that error's status). A teardown that throws
 * is handed to `report`, as a GET's would be when its client leaves.
 */
export function probe(
  stream: Observable<SseEvent>,
  encodeOptions: EncodeOptions,
  name: () => string,
  report: (error: unknown) => void,
): { error: unknown } | undefined {
  const prober = new Probe(encodeOptions);
  subscribeTo(stream, prober, name, report);
  try {
    prober.unsubscribe();
  } catch (error) {
    report(error);
  }
  return prober.failure;
}

/**
 * RxJS 7 keeps a subscriber's teardowns in an array, `_finalizers`, made empty and pushed to — and
 * V8 gives an empty array's first push room for 17: 184 B per open stream, for the one teardown
 * a source returns. A copy of it holds just what it has (40 B). Nothing keeps the old array:
 * RxJS reads the field each time it adds, removes or runs a teardown. A subscriber of another
 * shape (another RxJS) is left as it is.
 */
function compactTeardowns(subscriber: Subscriber<SseEvent>): void {
  const held = subscriber as unknown as { _finalizers?: unknown };
  if (Array.isArray(held._finalizers) && held._finalizers.length > 0) {
    held._finalizers = held._finalizers.slice();
  }
}
