import type { Subscriber } from 'rxjs';
import type { RedisClientType } from 'redis';
import { HttpError } from '../errors.js';
import type { SseEvent } from '../wire/event.js';
import type { RawEntry } from './codec.js';
import {
  entryId,
  readEntry,
  reapScript,
  resumableBatch,
  type AnswerEntry,
} from './resumableEntries.js';

/** What the reader works with, from the store's checked options. */
export interface ResumableReaderSetup {
  /** The user's client: replays, lease checks and CLIENT UNBLOCK go on it. */
  readonly client: RedisClientType;
  /** How often (ms) idle answers' leases are checked; also the longest XREAD BLOCK. */
  readonly leaseInterval: number;
  /** How long (ms) an answer ended as lost stays readable. */
  readonly ttl: number;
}

/** One local reader of an answer: its subscriber and the last event number it was given. */
export interface Sink {
  readonly subscriber: Subscriber<SseEvent>;
  cursor: number;
}

/** An answer followed live: the id the reader has read up to, and who listens. */
interface Follow {
  readonly key: string;
  readonly lease: string;
  cursor: number;
  readonly sinks: Set<Sink>;
  /** Whether an entry came since the last lease check (then the producer was alive). */
  progressed: boolean;
}

/**
 * Gives `entry` to a sink that is exactly at the entry before it; says whether the sink is done
 * (the answer ended, or its subscriber left).
 */
export function give(sink: Sink, entry: AnswerEntry): boolean {
  if (entry.seq <= sink.cursor) return sink.subscriber.closed;
  sink.cursor = entry.seq;
  if (entry.event !== undefined) sink.subscriber.next(entry.event);
  if (entry.last) sink.subscriber.complete();
  return entry.last || sink.subscriber.closed;
}

/**
 * Replays the entries after the sink's cursor from Redis, batch by batch, until a short batch
 * (caught up) or the answer's end. Says whether the sink is done.
 */
export async function replayAfter(
  client: RedisClientType,
  key: string,
  sink: Sink,
): Promise<boolean> {
  for (;;) {
    const batch = ((await client.xRange(key, `(${entryId(sink.cursor)}`, '+', {
      COUNT: resumableBatch,
    })) ?? []) as RawEntry[];
    if (sink.subscriber.closed) return true;
    for (const raw of batch) {
      const entry = readEntry(raw);
      if (entry !== undefined && give(sink, entry)) return true;
    }
    if (batch.length < resumableBatch) return false;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The one live reader of a store in this process: a single connection of its own (made on first
 * use by `client.duplicate()`) running `XREAD BLOCK … STREAMS k1 k2 … id1 id2 …` over every answer
 * some local subscriber follows live, whatever their number. A follow added while the XREAD
 * blocks wakes it with `CLIENT UNBLOCK`, so the next one has the new key list. Every
 * `leaseInterval` ms, the leases of followed answers that gave nothing since the last check are
 * checked in one script, which ends an answer whose lease is gone with `failed`/`lost`: that
 * entry then comes to every reader like any other.
 */
export class ResumableReader {
  readonly #setup: ResumableReaderSetup;
  readonly #follows = new Map<string, Follow>();
  #connection: RedisClientType | undefined;
  #clientId: number | undefined;
  #loop: Promise<void> | undefined;
  #wakeIdle: (() => void) | undefined;
  /** Whether a follow was added since the key list of the XREAD now waiting was made. */
  #stale = false;
  #blocking = false;
  #unblocking = false;
  #stopped = false;
  /** How many XREAD this reader has sent: for the curious and the specs. */
  reads = 0;

  constructor(setup: ResumableReaderSetup) {
    this.#setup = setup;
  }

  /** How many answers are followed live now. */
  get following(): number {
    return this.#follows.size;
  }

  /** Whether the reader's own connection is made (at most one, ever, at a time). */
  get connected(): boolean {
    return this.#connection !== undefined;
  }

  /**
   * Follows `key` live for `sink`, which has read up to its cursor: when the reader has already
   * read past it, the gap is replayed first, so that the sink gets each entry once, in order.
   */
  async follow(key: string, lease: string, sink: Sink): Promise<void> {
    for (;;) {
      if (sink.subscriber.closed) return;
      if (this.#stopped) {
        sink.subscriber.complete();
        return;
      }
      const follow = this.#follows.get(key);
      if (follow === undefined) {
        this.#follows.set(key, {
          key,
          lease,
          cursor: sink.cursor,
          sinks: new Set([sink]),
          progressed: false,
        });
        this.#wake();
        return;
      }
      if (follow.cursor <= sink.cursor) {
        follow.sinks.add(sink);
        return;
      }
      if (await replayAfter(this.#setup.client, key, sink)) return;
    }
  }

  /** Stops following `key` for `sink` (its subscriber left). */
  unfollow(key: string, sink: Sink): void {
    const follow = this.#follows.get(key);
    if (follow === undefined) return;
    follow.sinks.delete(sink);
    if (follow.sinks.size === 0) this.#follows.delete(key);
  }

  /** Completes every follower and lets the connection go (the XREAD waiting on it with it). */
  async stop(): Promise<void> {
    this.#stopped = true;
    const follows = [...this.#follows.values()];
    this.#follows.clear();
    for (const follow of follows) for (const sink of follow.sinks) sink.subscriber.complete();
    this.#connection?.destroy();
    this.#connection = undefined;
    this.#wakeIdle?.();
    await this.#loop;
  }

  // A method, not the field: a check after an await would be narrowed by the one before it.
  #isStopped(): boolean {
    return this.#stopped;
  }

  #wake(): void {
    this.#stale = true;
    if (this.#loop === undefined) {
      this.#loop = this.#run().catch((error: unknown) => {
        console.error('rx-sse/redis: the resumable reader stopped:', error);
      });
      return;
    }
    const idle = this.#wakeIdle;
    this.#wakeIdle = undefined;
    idle?.();
    if (this.#unblocking) return;
    this.#unblocking = true;
    void this.#unblock().finally(() => {
      this.#unblocking = false;
    });
  }

  /**
   * Unblocks the XREAD waiting with an old key list. One sent before that XREAD reached Redis
   * unblocks nothing (0): it is sent again until the reader has the new list.
   */
  async #unblock(): Promise<void> {
    try {
      while (!this.#stopped && this.#stale && this.#blocking && this.#clientId !== undefined) {
        await this.#setup.client.clientUnblock(this.#clientId);
        await sleep(5);
      }
    } catch {
      // The reader then takes the new key list after its BLOCK: late, never wrong.
    }
  }

  async #connect(): Promise<RedisClientType> {
    if (this.#connection !== undefined) return this.#connection;
    const connection = this.#setup.client.duplicate();
    connection.on('error', () => undefined); // an XREAD that fails says so
    connection.on('reconnecting', () => {
      this.#clientId = undefined;
    });
    this.#connection = connection;
    try {
      await connection.connect();
    } catch (error) {
      connection.destroy();
      if (this.#connection === connection) this.#connection = undefined;
      throw error;
    }
    return connection;
  }

  async #run(): Promise<void> {
    const { leaseInterval } = this.#setup;
    let checked = Date.now();
    let failures = 0;
    while (!this.#stopped) {
      if (this.#follows.size === 0) {
        await new Promise<void>((resolve) => (this.#wakeIdle = resolve));
        continue;
      }
      let reply;
      try {
        const connection = await this.#connect();
        this.#clientId ??= await connection.clientId();
        if (Date.now() - checked >= leaseInterval) {
          await this.#checkLeases();
          checked = Date.now();
        }
        const streams = [...this.#follows.values()].map(({ key, cursor }) => ({
          key,
          id: entryId(cursor),
        }));
        if (streams.length === 0) continue;
        const block = Math.max(1, checked + leaseInterval - Date.now());
        this.#stale = false;
        this.#blocking = true;
        this.reads++;
        try {
          reply = await connection.xRead(streams, { BLOCK: block, COUNT: resumableBatch });
        } finally {
          this.#blocking = false;
        }
        failures = 0;
      } catch (error) {
        if (this.#isStopped()) return;
        // Its followers end with the error; their clients come back with their Last-Event-ID.
        this.#failAll(error);
        failures++;
        await sleep(Math.min(2000, 50 * 2 ** failures));
        continue;
      }
      for (const { name, messages } of (reply ?? []) as { name: string; messages: RawEntry[] }[]) {
        const follow = this.#follows.get(name);
        if (follow !== undefined) this.#take(follow, messages);
      }
    }
  }

  /** Gives what XREAD read to the follow's sinks, from the entry right after its cursor only. */
  #take(follow: Follow, messages: readonly RawEntry[]): void {
    for (const raw of messages) {
      const entry = readEntry(raw);
      // A reply read from an older cursor (the follow was dropped and made again) is not used.
      if (entry === undefined || entry.seq !== follow.cursor + 1) return;
      follow.cursor = entry.seq;
      follow.progressed = true;
      for (const sink of follow.sinks) if (give(sink, entry)) follow.sinks.delete(sink);
      if (entry.last || follow.sinks.size === 0) {
        if (this.#follows.get(follow.key) === follow) this.#follows.delete(follow.key);
        for (const sink of follow.sinks) sink.subscriber.complete();
        return;
      }
    }
  }

  /** Checks the leases of followed answers that gave nothing since the last check. */
  async #checkLeases(): Promise<void> {
    const idle: Follow[] = [];
    for (const follow of this.#follows.values()) {
      if (!follow.progressed) idle.push(follow);
      follow.progressed = false;
    }
    for (let i = 0; i < idle.length; i += 200) {
      const some = idle.slice(i, i + 200);
      const codes = (await this.#setup.client.eval(reapScript, {
        keys: some.flatMap((follow) => [follow.key, follow.lease]),
        arguments: [String(this.#setup.ttl)],
      })) as number[];
      some.forEach((follow, index) => {
        if (codes[index] !== 2 || this.#follows.get(follow.key) !== follow) return;
        // Gone while followed (deleted by hand): as for any expired answer, a 404.
        this.#follows.delete(follow.key);
        for (const sink of follow.sinks) {
          sink.subscriber.error(new HttpError(404, 'No such answer, or it has expired'));
        }
      });
    }
  }

  #failAll(error: unknown): void {
    const follows = [...this.#follows.values()];
    this.#follows.clear();
    for (const follow of follows) for (const sink of follow.sinks) sink.subscriber.error(error);
  }
}
