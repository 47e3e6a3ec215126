import type { RedisClientType } from 'redis';
import { compareIds, formatId, parseId, type EventId } from '../channel/eventId.js';
import type { Hub } from '../channel/hub.js';
import { resetEventFor } from '../channel/options.js';
import { logError } from '../engine/report.js';
import { batchSize, type RedisChannelSetup } from './checkRedisChannelOptions.js';
import { previousOf, type RawEntry } from './codec.js';
import type { EntryDecoder } from './EntryDecoder.js';

/**
 * The one reader of a channel in this process: XREAD BLOCK after the last id read, on its own
 * connection, for as long as it runs, whatever the number of clients. What it reads goes to the
 * channel's hub. When Redis goes away it reports it once, retries with backoff, and resumes after
 * the last id it read: nothing Redis kept is lost or sent twice.
 */
export class RedisReader {
  readonly #setup: RedisChannelSetup;
  readonly #connection: RedisClientType;
  readonly #hub: Hub;
  readonly #decoder: EntryDecoder;
  readonly #end: () => void;
  /** The id the reader has read up to (the hub's last, or past an entry it skipped). */
  #cursor: EventId;
  #stopped = false;
  /** Settles once the loop has ended, after {@link stop}; never rejects. */
  readonly done: Promise<void>;

  /**
   * Starts reading after the hub's last id. `end` is called when the channel cannot go on (an
   * entry id past 2^53), to complete it.
   */
  constructor(
    setup: RedisChannelSetup,
    connection: RedisClientType,
    hub: Hub,
    decoder: EntryDecoder,
    end: () => void,
  ) {
    this.#setup = setup;
    this.#connection = connection;
    this.#hub = hub;
    this.#decoder = decoder;
    this.#end = end;
    this.#cursor = hub.last;
    // #read handles its own failures; anything else would be a bug, logged, never unhandled.
    this.done = this.#read().catch(logError);
  }

  /** Ends the loop: the connection goes, and the XREAD waiting on it with it. */
  stop(): void {
    this.#stopped = true;
    this.#connection.destroy();
  }

  // A method, not the field: the loop's condition would narrow the field past the await.
  #isStopped(): boolean {
    return this.#stopped;
  }

  async #read(): Promise<void> {
    const { key, block, report } = this.#setup;
    let failures = 0;
    while (!this.#stopped) {
      let reply;
      try {
        reply = await this.#connection.xRead(
          { key, id: formatId(this.#cursor) },
          { BLOCK: block, COUNT: batchSize },
        );
      } catch (error) {
        if (this.#isStopped()) return;
        if (failures === 0) {
          report(
            new Error(`rx-sse/redis: reading ${key} failed; retrying until it works`, {
              cause: error,
            }),
          );
        }
        failures++;
        await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** failures)));
        continue;
      }
      if (failures > 0) {
        const attempts = failures === 1 ? 'attempt' : 'attempts';
        report(
          new Error(
            `rx-sse/redis: reading ${key} again, after ${String(failures)} failed ${attempts}`,
          ),
        );
        failures = 0;
      }
      for (const { messages } of (reply ?? []) as { messages: RawEntry[] }[]) {
        for (const message of messages) this.#take(message);
      }
    }
  }

  #take(message: RawEntry): void {
    const hub = this.#hub;
    const id = parseId(message.id);
    if (id === undefined) {
      // Every later id would be past 2^53 too: the channel cannot go on, and says so.
      this.#setup.report(this.#decoder.beyond(message.id));
      this.#end();
      return;
    }
    const prev = previousOf(message);
    if (compareIds(prev, this.#cursor) > 0) {
      // Trimmed before this process read it (the reader was away, or a burst outran it): the
      // live streams are told, and the local history, which now has a hole, is dropped.
      const reset = resetEventFor(this.#setup.checked.resetEvent, prev, 'expired');
      hub.append({ id: prev, event: reset }, false);
    }
    this.#cursor = id;
    const event = this.#decoder.decode(message);
    if (event !== undefined) hub.append({ id, event });
  }
}
