import type { Unsubscribable } from 'rxjs';
import type { SseEvent } from '../wire/event.js';
import type { EventId } from './eventId.js';
import type { Entry, Hub } from './hub.js';

/** What a hub delivers to: an RxJS subscriber is one. */
export interface HubTarget {
  next(event: SseEvent): void;
  /** True once the stream is over: nothing more is taken. */
  readonly closed: boolean;
  complete(): void;
}

/** One target listening to a hub; unsubscribing it is its teardown. */
export class Listener implements Unsubscribable {
  readonly target: HubTarget;
  readonly #hub: Hub;
  /** Where it is in the hub's list (-1 once removed): leaving costs O(1), not a pass over all. */
  index = -1;
  /** The id of the last event this listener was given: it is never given that id or an older one. */
  cursor: EventId;
  /** While the listener replays history, live events wait here instead of being sent. */
  waiting: Entry[] | undefined = [];

  constructor(hub: Hub, target: HubTarget, cursor: EventId) {
    this.#hub = hub;
    this.target = target;
    this.cursor = cursor;
  }

  unsubscribe(): void {
    this.#hub.remove(this);
  }
}
