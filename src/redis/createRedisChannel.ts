import type { RedisClientType } from 'redis';
import type { EventId } from '../channel/eventId.js';
import type { ChannelEvent, ChannelOptions, SseChannel } from '../channel/types.js';
import { checkRedisChannelOptions } from './checkRedisChannelOptions.js';
import { RedisBackedChannel } from './RedisBackedChannel.js';
import { readLastId } from './scripts.js';

/** Options of {@link createRedisChannel}. */
export interface RedisChannelOptions extends ChannelOptions {
  /**
   * Turns stored data text back into a value, for events published with non-string data.
   * Defaults to `JSON.parse`.
   * @param text The text `serialize` made of the data when it was published.
   * @returns The value to put in the event's `data`.
   */
  deserialize?: ((text: string) => unknown) | undefined;
  /**
   * Told of what goes wrong out of any request's sight: the reader losing Redis (once per outage,
   * then again when it is back), an entry it cannot read. Defaults to `console.error`. One that
   * throws is logged.
   * @param error What went wrong.
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
 * const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
 * const redis = await createClient({ url }).on('error', console.error).connect();
 * const chat = await createRedisChannel(redis, 'chat', { maxEvents: 10_000 });
 * createServer(sse((ctx) => chat.stream(ctx))).listen(8080);
 * await chat.send({ from: 'ann', text: 'hi' }); // every process's clients get it
 * ```
 *
 * @param client A connected node-redis client, from `createClient()`. The channel publishes and
 *   replays through it, and reads on a duplicate of it that it makes and closes itself.
 * @param key The key of the Redis stream that holds the channel's history.
 * @param options The history's bounds (`maxEvents` at least `1`, defaults to `1000`; `maxAge` in
 *   ms), the reset event's type, `serialize`/`deserialize`, `onError` and `block` (ms); all
 *   optional.
 * @returns A promise of the channel, once its reader is connected and knows the stream's newest
 *   id.
 * @throws {TypeError} (the promise rejects) naming the argument or option, for a client that is
 *   not node-redis's, an empty key, or an option of the wrong type, range or name. It rejects with
 *   Redis's error when Redis cannot be reached.
 */
export async function createRedisChannel(
  client: RedisClientType,
  key: string,
  options: RedisChannelOptions = {},
): Promise<RedisChannel> {
  const setup = checkRedisChannelOptions(client, key, options);
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
  return new RedisBackedChannel(setup, reader, start);
}
