import { Observable, type SchedulerLike, type Subscriber, type Unsubscribable } from 'rxjs';
import type { SseEvent } from '../wire/event.js';
import { compareIds, type EventId } from './eventId.js';
import { Listener, type HubTarget } from './hubListener.js';

/** One published event, as held in a channel's history. */
export interface Entry {
  readonly id: EventId;
  readonly event: Readonly<SseEvent>;
}

export interface HubLimits {
  /** At most this many events are held (`Infinity`: no count limit; `0`: none held). */
  readonly maxEvents: number;
  /** Events older than this many ms (by their id's time) are dropped. */
  readonly maxAge: number;
}

/**
 * The in-process heart of a channel: a bounded history ordered by id, and live delivery to every
 * subscriber, such that a subscriber starting after any id gets each later event exactly once, in
 * order, whatever is published while it replays (even by its own subscribers, re-entrantly).
 *
 * It does not make ids or check them: the in-memory channel makes them, the Redis channel takes
 * Redis's. Every id appended must be after the last one.
 */
export class Hub {
  readonly #limits: HubLimits;
  readonly #scheduler: SchedulerLike;
  // A queue as an array and a head index: eviction is O(1), compacted now and then.
  #entries: Entry[] = [];
  #head = 0;
  #floor: EventId;
  #last: EventId;
  // Changed in place (a push, or a swap with the last to remove), except while a delivery walks
  // it: then a change copies it first, so the loop walks the array it started with.
  #listeners: Listener[] = [];
  // Entries still to be delivered while a delivery is under way: a publish from inside a
  // subscriber waits its turn, so every subscriber sees every event in id order.
  readonly #queue: Entry[] = [];
  #delivering = false;
  #closed = false;

  constructor(limits: HubLimits, scheduler: SchedulerLike, start: EventId) {
    this.#limits = limits;
    this.#scheduler = scheduler;
    this.#floor = start;
    this.#last = start;
  }

  /** The newest id appended (or the start). */
  get last(): EventId {
    return this.#last;
  }

  /** Every id up to this one has been dropped from the history (or was never in it). */
  get floor(): EventId {
    this.#evict();
    return this.#floor;
  }

  get size(): number {
    this.#evict();
    return this.#entries.length - this.#head;
  }

  get subscribers(): number {
    return this.#listeners.length;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether replaying after `id` misses nothing: every later id is held (or yet to come). */
  holds(id: EventId): boolean {
    return compareIds(id, this.floor) >= 0 && compareIds(id, this.#last) <= 0;
  }

  /** The id that replaying after gives the newest `count` events held. */
  recent(count: number): EventId {
    this.#evict();
    const index = this.#entries.length - count - 1;
    return index < this.#head ? this.#floor : (this.#entries[index] as Entry).id;
  }

  /**
   * Appends an entry and delivers it to every live stream. An entry not to `keep` (a reset after
   * a hole) is delivered but not held, and drops the history before it, which the hole split.
   */
  append(entry: Entry, keep = true): void {
    this.#last = entry.id;
    if (!keep) {
      this.#entries = [];
      this.#head = 0;
      this.#floor = entry.id;
    } else if (this.#limits.maxEvents > 0) this.#entries.push(entry);
    else this.#floor = entry.id;
    this.#evict();
    if (this.#listeners.length === 0) return;
    this.#queue.push(entry);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let i = 0; i < this.#queue.length; i++) {
        const queued = this.#queue[i] as Entry;
        for (const listener of this.#listeners) deliver(listener, queued);
      }
    } finally {
      this.#queue.length = 0;
      this.#delivering = false;
    }
    if (this.#closed) this.#completeAll();
  }

  /**
   * Every held event after `after`, then every later one as it is appended. The caller decides
   * whether `after` is one the history can answer for (see {@link floor}). A `lead` event (a
   * reset) goes first, once the replay is fixed: whatever its subscriber publishes in answer
   * cannot push what the replay owes out of the history.
   */
  after(after: EventId, lead?: SseEvent): Observable<SseEvent> {
    return new Observable<SseEvent>((subscriber: Subscriber<SseEvent>) =>
      this.listen(after, lead, subscriber),
    );
  }

  /**
   * What {@link after} does for its subscriber, for any target: replays, then delivers live
   * events until the returned teardown is called (or the target says it is closed).
   */
  listen(after: EventId, lead: SseEvent | undefined, target: HubTarget): Unsubscribable {
    this.#evict();
    const listener = new Listener(this, target, after);
    // Listening before replaying: what is appended meanwhile waits, and the cursor drops what
    // the replay already gave.
    const listening = !this.#closed;
    if (listening) this.#add(listener);
    const replay = this.#entries.slice(this.#indexAfter(after));
    if (lead !== undefined) target.next(lead);
    for (const entry of replay) deliver(listener, entry, true);
    let waiting = listener.waiting;
    while (waiting !== undefined && waiting.length > 0 && !target.closed) {
      listener.waiting = [];
      for (const entry of waiting) deliver(listener, entry, true);
      waiting = listener.waiting;
    }
    listener.waiting = undefined;
    // Closed while listening and delivering: the delivery completes it once it is done.
    if (this.#closed && (!listening || !this.#delivering)) target.complete();
    return listener;
  }

  /** Ends every stream once what has been published has been delivered. */
  complete(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#delivering) this.#completeAll();
  }

  #add(listener: Listener): void {
    const list = this.#delivering ? [...this.#listeners] : this.#listeners;
    listener.index = list.length;
    list.push(listener);
    this.#listeners = list;
  }

  /** Stops delivering to `listener` (its teardown); a second call does nothing. */
  remove(listener: Listener): void {
    const { index } = listener;
    if (this.#listeners[index] !== listener) return;
    const list = this.#delivering ? [...this.#listeners] : this.#listeners;
    const last = list.pop() as Listener;
    if (last !== listener) {
      list[index] = last;
      last.index = index;
    }
    listener.index = -1;
    this.#listeners = list;
  }

  #completeAll(): void {
    const listeners = this.#listeners;
    this.#listeners = [];
    // A listener still replaying completes itself when its replay is done.
    for (const listener of listeners) {
      if (listener.waiting === undefined) listener.target.complete();
    }
  }

  /** The index of the first held entry after `id`. */
  #indexAfter(id: EventId): number {
    let low = this.#head;
    let high = this.#entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds((this.#entries[middle] as Entry).id, id) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #evict(): void {
    const { maxEvents, maxAge } = this.#limits;
    const entries = this.#entries;
    let head = this.#head;
    if (entries.length - head > maxEvents) head = entries.length - maxEvents;
    if (maxAge !== Infinity) {
      const oldest = this.#scheduler.now() - maxAge;
      while (head < entries.length && (entries[head] as Entry).id.ms < oldest) head++;
    }
    if (head === this.#head) return;
    this.#floor = (entries[head - 1] as Entry).id;
    if (head > 1024 && head * 2 > entries.length) {
      this.#entries = entries.slice(head);
      head = 0;
    }
    this.#head = head;
  }
}

function deliver(listener: Listener, entry: Entry, replaying = false): void {
  if (listener.target.closed || compareIds(entry.id, listener.cursor) <= 0) return;
  if (listener.waiting !== undefined && !replaying) {
    listener.waiting.push(entry);
    return;
  }
  listener.cursor = entry.id;
  listener.target.next(entry.event);
}
