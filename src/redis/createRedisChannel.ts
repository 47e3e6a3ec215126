import { asyncScheduler, defer, Observable, type Subscriber, type Subscription } from 'rxjs';
import type { RedisClientType } from 'redis';
import { checkFunction } from '../check.js';
import { describe } from '../describe.js';
import type { SseEvent } from '../wire/event.js';
import { compareIds, formatId, originId, parseId, type EventId } from '../channel/eventId.js';
import { Hub } from '../channel/hub.js';
import {
  checkChannelOptions,
  checkPublished,
  resetEventFor,
  streamRequest,
  type CheckedChannelOptions,
} from '../channel/options.js';
import type {
  ChannelEvent,
  ChannelOptions,
  ResetReason,
  SseChannel,
  StreamFrom,
  StreamOptions,
} from '../channel/types.js';
import { logError } from '../engine/report.js';
import { fromEntry, toFields } from './codec.js';
import { lastIdScript, publishScript, runScript } from './scripts.js';

/** Options of {@link createRedisChannel}. */
export interface RedisChannelOptions extends ChannelOptions {
  /**
   * Turns stored data text back into a value, for events published with non-string data.
   * Defaults to `JSON.parse`.
   */
  deserialize?: ((text: string) => unknown) | undefined;
  /**
   * Told of what goes wrong out of any request's sight: the reader losing Redis (once per outage,
   * then again when it is back), an entry it cannot read. Defaults to `console.error`.
   */
  onError?: ((error: unknown) => void) | undefined;
  /** How long one XREAD blocks, in ms. Defaults to `5000`. */
  block?: number | undefined;
}

/** A channel whose history and ids live in a Redis stream: see {@link createRedisChannel}. */
export interface RedisChannel extends SseChannel {
  publish(event: ChannelEvent): Promise<string>;
  send(data: unknown, event?: string): Promise<string>;
  /** Stops this process's reader and ends its streams. The Redis stream is left as it is. */
  complete(): Promise<void>;
  /** The stream's key. */
  readonly key: string;
  /** The newest id this process has read. */
  readonly lastId: string;
  /** How many streams this process serves now. */
  readonly subscribers: number;
}

const replayBatch = 500;

/**
 * Creates a channel backed by a Redis stream, so that any number of server processes serve one
 * channel and a client may reconnect to any of them with its Last-Event-ID.
 *
 * Publishing is one atomic script: XADD (Redis makes the id) with the id of the entry before
 * it, trimmed to `maxEvents` (MAXLEN) and `maxAge` (MINID, on Redis's clock). Each process runs
 * one reader per channel — an XREAD BLOCK loop on its own connection (`client.duplicate()`) —
 * whatever its number of clients, and keeps what it reads in a local history of the same bounds,
 * so most reconnections replay from memory; an older Last-Event-ID is replayed from the stream
 * with XRANGE, and the two meet without a gap or a duplicate. Every stored entry names the one
 * before it, which is how a replay (or a reader that fell behind the trimming) knows it has
 * missed something, and starts with the same `reset` event as the in-memory channel.
 *
 * When Redis goes away, the reader reports it once, retries with backoff, and resumes after the
 * last id it read: nothing Redis kept is lost or sent twice. Streams being replayed from Redis
 * at that moment end with an error, and their clients reconnect with their Last-Event-ID.
 * Publishes wait in the client's offline queue (node-redis rejects them after its command
 * timeout). Needs Redis 7 and the `redis` package (node-redis) 6, an optional peer dependency.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createClient } from 'redis';
 * import { sse } from 'rx-sse';
 * import { createRedisChannel } from 'rx-sse/redis';
 *
 * const redis = await createClient({ url: process.env.REDIS_URL }).on('error', console.error).connect();
 * const chat = await createRedisChannel(redis, 'chat', { maxEvents: 10_000 });
 * createServer(sse((ctx) => chat.stream(ctx))).listen(8080);
 * await chat.send({ from: 'ann', text: 'hi' }); // every process's clients get it
 * ```
 */
export async function createRedisChannel(
  client: RedisClientType,
  key: string,
  options: RedisChannelOptions = {},
): Promise<RedisChannel> {
  const checked = checkChannelOptions('createRedisChannel', options, [
    'deserialize',
    'onError',
    'block',
  ]);
  const { deserialize = JSON.parse, onError = logError, block = 5000 } = options;
  const given: unknown = client;
  if (typeof given !== 'object' || given === null || typeof client.duplicate !== 'function') {
    throw new TypeError(
      `createRedisChannel: client must be a node-redis client from createClient() (got ${describe(given)})`,
    );
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(
      `createRedisChannel: key must be a non-empty string (got ${describe(key)})`,
    );
  }
  if (checked.maxEvents < 1) {
    throw new TypeError(
      'createRedisChannel: options.maxEvents must be at least 1: the reader reads what the stream keeps',
    );
  }
  checkFunction('createRedisChannel', 'options.deserialize', deserialize);
  checkFunction('createRedisChannel', 'options.onError', onError);
  if (typeof block !== 'number' || !Number.isSafeInteger(block) || block < 1) {
    throw new TypeError(
      `createRedisChannel: options.block must be a positive integer of ms (got ${describe(block)})`,
    );
  }
  const reader = client.duplicate();
  reader.on('error', () => undefined); // reported by the read loop, once per outage
  let start: EventId;
  try {
    await reader.connect();
    start = await readLastId(client, key);
  } catch (error) {
    // Nothing is left running: the reader's connection (and its reconnecting) goes with it.
    reader.destroy();
    throw error;
  }
  return new RedisBackedChannel(
    { client, reader, key, checked, deserialize, onError, block },
    start,
  );
}

interface Setup {
  readonly client: RedisClientType;
  readonly reader: RedisClientType;
  readonly key: string;
  readonly checked: CheckedChannelOptions;
  readonly deserialize: (text: string) => unknown;
  readonly onError: (error: unknown) => void;
  readonly block: number;
}

class RedisBackedChannel implements RedisChannel {
  readonly #setup: Setup;
  readonly #hub: Hub;
  readonly #reading: Promise<void>;
  /** The id the reader has read up to (the hub's last, or past an entry it skipped). */
  #cursor: EventId;
  #stopped = false;
  /** Streams still replaying from Redis: the hub does not know them yet, complete() must. */
  readonly #replays = new Set<Subscriber<SseEvent>>();
  /** Ids of entries already reported as unreadable. */
  readonly #skipped = new Set<string>();

  constructor(setup: Setup, start: EventId) {
    this.#setup = setup;
    this.#hub = new Hub(setup.checked, asyncScheduler, start);
    this.#cursor = start;
    // #read handles its own failures; anything else would be a bug, logged, never unhandled.
    this.#reading = this.#read().catch(logError);
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
      this.#setup.reader.destroy();
      this.#hub.complete();
      for (const replaying of [...this.#replays]) replaying.complete();
      this.#replays.clear();
    }
    await this.#reading;
  }

  /**
   * Replays from the Redis stream (after an id, the newest `recent`, or all of it after an
   * unknown id), batch by batch, then hands over to the local history where the two meet.
   */
  #fromRedis(
    start: { after: EventId } | { recent: number } | { unknown: true },
  ): Observable<SseEvent> {
    const { client, key, checked } = this.#setup;
    const hub = this.#hub;
    const resetEvent = (reset: Reset) => resetEventFor(checked.resetEvent, reset.id, reset.reason);
    return new Observable<SseEvent>((subscriber) => {
      let live: Subscription | undefined;
      // A function, not the property: it changes across awaits and inside next().
      const gone = () => subscriber.closed;
      if (this.#stopped) {
        // complete() ends what is replaying from Redis; what starts after it gets no more.
        subscriber.complete();
        return;
      }
      this.#replays.add(subscriber);
      const replay = async (): Promise<void> => {
        let cursor: EventId;
        let reset: Reset | undefined;
        let known = true;
        // A client that gave an id is told of every gap; one that asked for recent events, of
        // those after the first event it got.
        let announce = !('recent' in start);
        const gap = (id: EventId) => {
          if (announce) reset = { id, reason: reset?.reason ?? 'expired' };
        };
        if ('after' in start) {
          cursor = start.after;
          known = false; // until Redis shows it is not from the future
        } else {
          // The oldest entry to send: of the newest `recent`, or of them all.
          const oldest =
            'recent' in start && start.recent !== Infinity
              ? entries(await client.xRevRange(key, '+', '-', { COUNT: start.recent })).at(-1)
              : entries(await client.xRange(key, '-', '+', { COUNT: 1 }))[0];
          cursor = oldest === undefined ? hub.last : previousOf(oldest);
          if ('unknown' in start) reset = { id: cursor, reason: 'unknown' };
        }
        for (;;) {
          if (gone()) return;
          if (hub.holds(cursor)) break;
          const batch = entries(
            await client.xRange(key, `(${formatId(cursor)}`, '+', { COUNT: replayBatch }),
          );
          if (batch.length === 0) {
            if (!known && compareIds(cursor, await readLastId(client, key)) > 0) {
              // Not an id Redis has given: start again from the oldest entry, with a reset.
              start = { unknown: true };
              return replay();
            }
            // Nothing after it in Redis: the local history (or the reader) has the rest — unless
            // the history moved past it while Redis answered, which is a gap like any other.
            if (compareIds(cursor, hub.floor) < 0) {
              gap(hub.floor);
              cursor = hub.floor;
            }
            break;
          }
          known = true;
          // Redis trims by age only when something is published: a quiet stream can hold more.
          const staleBefore = checked.maxAge === Infinity ? -Infinity : Date.now() - checked.maxAge;
          for (const raw of batch) {
            if (gone()) return;
            const id = parseId(raw.id);
            if (id === undefined) throw this.#beyond(raw.id);
            const prev = previousOf(raw);
            if (compareIds(prev, cursor) > 0) gap(prev);
            const event = this.#decode(raw);
            if (event === undefined || id.ms < staleBefore) {
              if (event !== undefined) gap(id);
              cursor = id;
              continue;
            }
            if (reset !== undefined) subscriber.next(resetEvent(reset));
            reset = undefined;
            subscriber.next(event);
            cursor = id;
            announce = true;
          }
        }
        this.#replays.delete(subscriber);
        if (gone()) return;
        live = hub.after(cursor, reset && resetEvent(reset)).subscribe(subscriber);
      };
      replay().catch((error: unknown) => {
        subscriber.error(error);
      });
      return () => {
        this.#replays.delete(subscriber);
        live?.unsubscribe();
      };
    });
  }

  /**
   * The event in an entry, or undefined for one no channel wrote: reported once (not once per
   * replay that passes over it), and skipped.
   */
  #decode(raw: RawEntry): Readonly<SseEvent> | undefined {
    const { checked, deserialize, key } = this.#setup;
    try {
      return fromEntry(raw.id, raw.message, checked.serialize, deserialize);
    } catch (error) {
      if (!this.#skipped.has(raw.id)) {
        if (this.#skipped.size >= 1000) this.#skipped.clear();
        this.#skipped.add(raw.id);
        this.#report(
          new Error(`rx-sse/redis: skipped entry ${raw.id} of ${key}`, { cause: error }),
        );
      }
      return undefined;
    }
  }

  /** An id past 2^53 cannot be ordered here; Redis gives such ids only to an explicit XADD. */
  #beyond(id: string): Error {
    return new Error(
      `rx-sse/redis: entry id ${id} of ${this.#setup.key} is beyond 2^53, which rx-sse cannot order; was it added with an explicit id?`,
    );
  }

  #report(error: unknown): void {
    try {
      this.#setup.onError(error);
    } catch (thrown) {
      logError(new Error('rx-sse/redis: options.onError threw', { cause: thrown }));
    }
  }

  #isStopped(): boolean {
    return this.#stopped;
  }

  /** The one reader of this process: XREAD BLOCK after the last id read, for as long as it runs. */
  async #read(): Promise<void> {
    const { reader, key, block } = this.#setup;
    let failures = 0;
    while (!this.#stopped) {
      let reply;
      try {
        reply = await reader.xRead(
          { key, id: formatId(this.#cursor) },
          { BLOCK: block, COUNT: replayBatch },
        );
      } catch (error) {
        if (this.#isStopped()) return;
        if (failures === 0) {
          this.#report(
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
        this.#report(
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
      this.#report(this.#beyond(message.id));
      void this.complete();
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
    const event = this.#decode(message);
    if (event !== undefined) hub.append({ id, event });
  }
}

interface RawEntry {
  id: string;
  message: Record<string, string>;
}

interface Reset {
  id: EventId;
  reason: ResetReason;
}

/** The id stored before an entry (its `p`), read without decoding the rest. */
function previousOf(raw: RawEntry): EventId {
  return parseId(raw.message['p'] ?? '') ?? originId;
}

/** The last id Redis generated for the stream (0-0 for none), which rx-sse must be able to order. */
async function readLastId(client: RedisClientType, key: string): Promise<EventId> {
  const last = String(await runScript(client, lastIdScript, [key], []));
  const id = parseId(last);
  if (id === undefined) {
    throw new TypeError(
      `createRedisChannel: the last id of ${key}, ${last}, is beyond 2^53, which rx-sse cannot order`,
    );
  }
  return id;
}

/** An XRANGE reply as node-redis types it (entries, or null for none). */
function entries(reply: readonly RawEntry[] | null): readonly RawEntry[] {
  return reply ?? [];
}
