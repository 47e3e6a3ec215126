import { asyncScheduler, defer, type Observable, type Subscriber } from 'rxjs';
import type { RedisClientType } from 'redis';
import type { SseEvent } from '../wire/event.js';
import { formatId, type EventId } from '../channel/eventId.js';
import { Hub } from '../channel/hub.js';
import { checkPublished, streamRequest } from '../channel/options.js';
import type { ChannelEvent, StreamFrom, StreamOptions } from '../channel/types.js';
import type { RedisChannelSetup } from './checkRedisChannelOptions.js';
import { toFields } from './codec.js';
import type { RedisChannel } from './createRedisChannel.js';
import { EntryDecoder } from './EntryDecoder.js';
import { RedisReader } from './RedisReader.js';
import { replayFromRedis, type ReplayContext, type ReplayStart } from './replayFromRedis.js';
import { publishScript, runScript } from './scripts.js';

/**
 * The channel {@link createRedisChannel} makes: publishing goes to Redis; streams are served from
 * the local history its reader fills, or replayed from Redis when that history does not reach back
 * far enough.
 */
export class RedisBackedChannel implements RedisChannel {
  readonly #setup: RedisChannelSetup;
  readonly #hub: Hub;
  readonly #reader: RedisReader;
  readonly #replay: ReplayContext;
  #stopped = false;
  /** Streams still replaying from Redis: the hub does not know them yet, complete() must. */
  readonly #replays = new Set<Subscriber<SseEvent>>();

  /** Takes over `connection`, connected, for its reader, which starts after `start`. */
  constructor(setup: RedisChannelSetup, connection: RedisClientType, start: EventId) {
    this.#setup = setup;
    this.#hub = new Hub(setup.checked, asyncScheduler, start);
    const decoder = new EntryDecoder(setup);
    this.#reader = new RedisReader(setup, connection, this.#hub, decoder, () => {
      void this.complete();
    });
    this.#replay = {
      setup,
      hub: this.#hub,
      decoder,
      replays: this.#replays,
      stopped: () => this.#stopped,
    };
  }

  get key(): string {
    return this.#setup.key;
  }

  get closed(): boolean {
    return this.#stopped;
  }

  get lastId(): string {
    return formatId(this.#hub.last);
  }

  get subscribers(): number {
    return this.#hub.subscribers;
  }

  async publish(event: ChannelEvent): Promise<string> {
    checkPublished('redisChannel.publish', event);
    if (this.#stopped) {
      throw new TypeError(
        'redisChannel.publish: the channel is complete; nothing more can be published',
      );
    }
    const { client, key, checked } = this.#setup;
    const fields = toFields(event, checked.serialize);
    const count = checked.maxEvents === Infinity ? '' : String(checked.maxEvents);
    const age = checked.maxAge === Infinity ? '' : String(checked.maxAge);
    return String(await runScript(client, publishScript, [key], [count, age, ...fields]));
  }

  send(data: unknown, event?: string): Promise<string> {
    return this.publish(event === undefined ? { data } : { event, data });
  }

  stream(from?: StreamFrom, options: StreamOptions = {}): Observable<SseEvent> {
    const { lastEventId, id, recent } = streamRequest('redisChannel.stream', from, options);
    const hub = this.#hub;
    return defer(() => {
      if (lastEventId === undefined) {
        return recent === 0 || hub.size >= recent
          ? hub.after(hub.recent(recent))
          : this.#fromRedis({ recent });
      }
      if (id === undefined) return this.#fromRedis({ unknown: true });
      return hub.holds(id) ? hub.after(id) : this.#fromRedis({ after: id });
    });
  }

  async complete(): Promise<void> {
    if (!this.#stopped) {
      this.#stopped = true;
      this.#reader.stop();
      this.#hub.complete();
      for (const replaying of [...this.#replays]) replaying.complete();
      this.#replays.clear();
    }
    await this.#reader.done;
  }

  #fromRedis(start: ReplayStart): Observable<SseEvent> {
    return replayFromRedis(this.#replay, start);
  }
}
