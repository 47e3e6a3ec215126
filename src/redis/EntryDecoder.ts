import type { SseEvent } from '../wire/event.js';
import type { RedisChannelSetup } from './checkRedisChannelOptions.js';
import { fromEntry, type RawEntry } from './codec.js';

/**
 * Turns one channel's stream entries into events, for its reader and its replays alike, and says
 * what it cannot read.
 */
export class EntryDecoder {
  readonly #setup: RedisChannelSetup;
  /** Ids of entries already reported as unreadable. */
  readonly #skipped = new Set<string>();

  constructor(setup: RedisChannelSetup) {
    this.#setup = setup;
  }

  /**
   * The event in an entry, or undefined for one no channel wrote: reported once (not once per
   * replay that passes over it), and skipped.
   */
  decode(raw: RawEntry): Readonly<SseEvent> | undefined {
    const { checked, deserialize, key, report } = this.#setup;
    try {
      return fromEntry(raw.id, raw.message, checked.serialize, deserialize);
    } catch (error) {
      if (!this.#skipped.has(raw.id)) {
        if (this.#skipped.size >= 1000) this.#skipped.clear();
        this.#skipped.add(raw.id);
        report(new Error(`rx-sse/redis: skipped entry ${raw.id} of ${key}`, { cause: error }));
      }
      return undefined;
    }
  }

  /** An id past 2^53 cannot be ordered here; Redis gives such ids only to an explicit XADD. */
  beyond(id: string): Error {
    return new Error(
      `rx-sse/redis: entry id ${id} of ${this.#setup.key} is beyond 2^53, which rx-sse cannot order; was it added with an explicit id?`,
    );
  }
}
