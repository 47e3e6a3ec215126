import { isObservable, Observable, Subject, takeUntil } from 'rxjs';
import type { RedisClientType } from 'redis';
import { streamRequest } from '../channel/options.js';
import { checkInteger, checkKeys, maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import { byteLength } from '../engine/byteLength.js';
import { HttpError } from '../errors.js';
import {
  checkAnswerId,
  checkResumableOptions,
  parseSequence,
  type CheckedResumableOptions,
} from '../resumable/options.js';
import type {
  FailReason,
  ResumableOptions,
  SseResumableStreams,
  StreamFrom,
} from '../resumable/types.js';
import { encode, preEncode } from '../wire/encode.js';
import type { SseEvent } from '../wire/event.js';
import type { RawEntry } from './codec.js';
import {
  doneFields,
  entryId,
  failedFields,
  fieldsOf,
  readEntry,
  resumableBatch,
  writeScript,
} from './resumableEntries.js';
import { give, replayAfter, ResumableReader, type Sink } from './resumableReader.js';

/** Options of {@link createRedisResumableStreams}: those of the in-memory store, and more. */
export interface RedisResumableOptions extends ResumableOptions {
  /**
   * The start of every key the store makes: an answer is the stream `<prefix>:<id>`, its
   * producer's lease the string `<prefix>:<id>:lease`. Stores that share answers share it. A
   * non-empty string. Defaults to `'rx-sse:answer'`.
   */
  prefix?: string | undefined;
  /**
   * How often, in ms, a running producer's lease is renewed; the lease lasts 3 × this. Readers
   * check the leases of the answers they follow as often, and XREAD blocks no longer. An answer
   * whose producer died (its process killed) ends for its readers with `{ event: 'failed',
   * data: 'lost' }` within 4 × `leaseInterval` (+ a few round trips) of the last renewal. An
   * integer from `10` to `600000`. Defaults to `1000`.
   */
  leaseInterval?: number | undefined;
}

/** Resumable streams kept in Redis: see {@link createRedisResumableStreams}. */
export interface RedisResumableStreams extends SseResumableStreams {
  start(producer: Observable<SseEvent>): Promise<string>;
  read(id: string, from?: StreamFrom): Observable<SseEvent>;
  has(id: string): Promise<boolean>;
  close(): Promise<void>;
  /** How many producers this store runs now (what `maxStreams` bounds). */
  readonly running: number;
  /** How many answers this process follows live, all on one connection. */
  readonly following: number;
  /** How many XREAD this process's one reader has sent. */
  readonly reads: number;
}

/** Why an answer of a Redis store ended with a `failed` event: `lost` when its producer died. */
export type RedisFailReason = FailReason | 'lost';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const optionKeys: ReadonlySet<string> = new Set([
  'ttl',
  'maxStreams',
  'maxBytesPerStream',
  'onError',
  'prefix',
  'leaseInterval',
] satisfies (keyof RedisResumableOptions)[]);

/**
 * Creates a store of resumable streams kept in Redis (Redis Streams), so that an answer started
 * by one process can be read, and resumed with its Last-Event-ID, from any process sharing the
 * Redis and `prefix`. It does what `createResumableStreams` (`rx-sse/resumable`) does — ids `<n>` from `0`, a
 * `failed` event (data `error` or `too-large`) for an answer that fails, `400` for a
 * Last-Event-ID that is not one of the answer's ids, `404` for an unknown or expired answer —
 * with promises where Redis must be asked.
 *
 * `start(producer)` writes the answer's opening entry and lease (one MULTI), then subscribes the
 * producer; each event is appended by a script that refuses any write not following the entry
 * before it, so an answer has no gap. The last entry says the answer is done, or is the `failed`
 * event; then the stream expires in `ttl` ms (PEXPIRE). While the producer runs, one timer per
 * store renews the leases of all its answers every `leaseInterval` ms, and the stream's expiry to
 * `ttl` + the lease's life: an answer whose producer died is dropped even if no one reads it.
 *
 * `read(id, from)` replays what is stored with XRANGE, then follows live on this process's one
 * reader: a connection of its own (`client.duplicate()`, made on first use) running a single
 * `XREAD BLOCK` over every answer some local subscriber follows — one connection and one loop
 * whatever the number of answers and clients. A reader that finds, every `leaseInterval` ms,
 * that an answer it follows gave nothing and has no lease, ends it as lost: every reader then
 * gets `{ event: 'failed', data: 'lost' }` (id `<n>`) and completes — at most 4 × `leaseInterval`
 * (the lease's 3, plus up to one until the next check), and a few round trips, after the dead
 * producer's last renewal. A producer whose answer was so ended (it was alive but cut off from
 * Redis too long) is unsubscribed, and its write's error goes to `onError`.
 *
 * `maxStreams` bounds the producers this store runs at once (`503` past it); `maxBytesPerStream`
 * is counted where the producer runs. `close()` stops this store's producers — ending their
 * answers as lost at once, for readers anywhere — its lease timer and its reader, whose
 * connection it closes; the client is the caller's, left open. Needs Redis 7 (one instance, not
 * Cluster: the reader reads many keys at once) and node-redis 6.
 *
 * @param client A connected node-redis client, from `createClient()`. The store writes and
 *   replays through it, and follows live answers on a duplicate of it that it makes (on first use)
 *   and closes itself.
 * @param options Those of the in-memory store (`ttl` in ms, `maxStreams`, `maxBytesPerStream` in
 *   bytes, `onError`), and `prefix` and `leaseInterval` (ms); all optional.
 * @returns The store. Its `start`, `read`, `has` and `close` return promises.
 * @throws {TypeError} for a client that is not a node-redis client, or an option that is not
 * one (named in the message).
 *
 * ## Example
 * ```ts
 * import { createClient } from 'redis';
 * import { sse } from 'rx-sse';
 * import { createRedisResumableStreams } from 'rx-sse/redis';
 *
 * const redis = await createClient().on('error', console.error).connect();
 * const answers = createRedisResumableStreams(redis, { ttl: 60_000 });
 * // POST /answers: const id = await answers.start(llm(question)); then on any process:
 * export const listener = sse((ctx) => answers.read(ctx.url.searchParams.get('id') ?? '', ctx));
 * ```
 */
export function createRedisResumableStreams(
  client: RedisClientType,
  options: RedisResumableOptions = {},
): RedisResumableStreams {
  const caller = 'createRedisResumableStreams';
  const given: unknown = client;
  if (typeof given !== 'object' || given === null || typeof client.duplicate !== 'function') {
    throw new TypeError(
      `${caller}: client must be a node-redis client from createClient() (got ${describe(given)})`,
    );
  }
  checkKeys(caller, options, optionKeys);
  const { prefix = 'rx-sse:answer', leaseInterval = 1000, ...memory } = options;
  const checked = checkResumableOptions(caller, memory);
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(
      `${caller}: options.prefix must be a non-empty string (got ${describe(prefix)})`,
    );
  }
  checkInteger(caller, 'options.leaseInterval (ms)', leaseInterval, 10, 600_000);
  if (checked.ttl + 3 * leaseInterval > maxTimerDelay * 1000) {
    throw new TypeError(`${caller}: options.ttl (ms) is too long`);
  }
  return new RedisStreams(client, checked, prefix, leaseInterval);
}

/** An answer this store's producer writes. */
interface Producing {
  readonly id: string;
  readonly key: string;
  readonly lease: string;
  readonly stop: Subject<void>;
  next: number;
  bytes: number;
  ended: boolean;
  /** Whether a write failed (reported; nothing more is written). */
  broken: boolean;
}

class RedisStreams implements RedisResumableStreams {
  readonly #client: RedisClientType;
  readonly #options: CheckedResumableOptions;
  readonly #prefix: string;
  readonly #leaseInterval: number;
  readonly #leaseLife: number;
  readonly #reader: ResumableReader;
  readonly #running = new Map<string, Producing>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(
    client: RedisClientType,
    options: CheckedResumableOptions,
    prefix: string,
    leaseInterval: number,
  ) {
    this.#client = client;
    this.#options = options;
    this.#prefix = prefix;
    this.#leaseInterval = leaseInterval;
    this.#leaseLife = 3 * leaseInterval;
    this.#reader = new ResumableReader({ client, leaseInterval, ttl: options.ttl });
  }

  get running(): number {
    return this.#running.size;
  }

  get following(): number {
    return this.#reader.following;
  }

  get reads(): number {
    return this.#reader.reads;
  }

  async start(producer: Observable<SseEvent>): Promise<string> {
    if (!isObservable(producer)) {
      throw new TypeError(
        `answers.start: producer must be an Observable of events (got ${describe(producer)})`,
      );
    }
    if (this.#closed) throw new HttpError(503, 'The server is shutting down');
    if (this.#running.size >= this.#options.maxStreams) {
      throw new HttpError(503, 'Too many answers at once; try again later');
    }
    const id = crypto.randomUUID();
    const key = `${this.#prefix}:${id}`;
    const answer: Producing = {
      id,
      key,
      lease: `${key}:lease`,
      stop: new Subject<void>(),
      next: 0,
      bytes: 0,
      ended: false,
      broken: false,
    };
    this.#running.set(id, answer); // counted for maxStreams from now
    try {
      await this.#client
        .multi()
        .xAdd(key, entryId(-1), { s: String(Date.now()) })
        .pExpire(key, this.#options.ttl + this.#leaseLife)
        .set(answer.lease, '1', { PX: this.#leaseLife })
        .exec();
    } catch (error) {
      this.#running.delete(id);
      throw error;
    }
    // close() came while it opened: it has ended it as lost (after the opening, on the same
    // connection).
    if (this.#isClosed()) throw new HttpError(503, 'The server is shutting down');
    this.#arm();
    producer.pipe(takeUntil(answer.stop)).subscribe({
      next: (event) => {
        this.#take(answer, event);
      },
      error: (error: unknown) => {
        this.#fail(answer, 'error', error);
      },
      complete: () => {
        this.#end(answer, doneFields);
      },
    });
    return id;
  }

  read(id: string, from?: StreamFrom): Observable<SseEvent> {
    checkAnswerId('answers.read', id);
    const { lastEventId } = streamRequest('answers.read', from, {});
    const key = `${this.#prefix}:${id}`;
    return new Observable<SseEvent>((subscriber) => {
      if (this.#closed) {
        subscriber.error(new HttpError(503, 'The server is shutting down'));
        return;
      }
      const sink: Sink = { subscriber, cursor: -1 };
      const follow = async () => {
        if (!uuidPattern.test(id)) throw new HttpError(404, 'No such answer, or it has expired');
        if (await this.#replayFrom(key, lastEventId, sink)) return;
        if (await replayAfter(this.#client, key, sink)) return;
        await this.#reader.follow(key, `${key}:lease`, sink);
      };
      follow().catch((error: unknown) => {
        subscriber.error(error);
      });
      return () => {
        this.#reader.unfollow(key, sink);
      };
    });
  }

  async has(id: string): Promise<boolean> {
    checkAnswerId('answers.has', id);
    if (!uuidPattern.test(id)) return false;
    return (await this.#client.exists(`${this.#prefix}:${id}`)) === 1;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const running = [...this.#running.values()];
    this.#running.clear();
    for (const answer of running) {
      if (answer.ended) continue;
      answer.ended = true;
      answer.stop.next();
      // Readers anywhere are told now, not when the lease lapses. Not awaited: a client that is
      // reconnecting would hold close() up; closing the client sends what is queued.
      this.#endAs(answer, failedFields('lost'));
    }
    await this.#reader.stop();
  }

  /**
   * The first batch, from the Last-Event-ID's entry (or the opening one) on: it tells a missing
   * answer (404) from a Last-Event-ID that is not one of its events (400). Says whether the sink
   * is done.
   */
  async #replayFrom(key: string, lastEventId: string | undefined, sink: Sink): Promise<boolean> {
    const n = lastEventId === undefined ? -1 : parseSequence(lastEventId);
    const first = n === undefined ? undefined : entryId(n);
    const batch =
      first === undefined
        ? []
        : (((await this.#client.xRange(key, first, '+', { COUNT: resumableBatch })) ??
            []) as RawEntry[]);
    const head = batch[0] === undefined ? undefined : readEntry(batch[0]);
    if (head === undefined || batch[0]?.id !== first || (n !== -1 && head.event === undefined)) {
      if (n !== -1 && (await this.#client.exists(key)) === 1) {
        throw new HttpError(400, 'Last-Event-ID is not an event of this answer');
      }
      throw new HttpError(404, 'No such answer, or it has expired');
    }
    sink.cursor = head.seq;
    if (head.last) {
      sink.subscriber.complete();
      return true;
    }
    for (const raw of batch.slice(1)) {
      const entry = readEntry(raw);
      if (entry !== undefined && give(sink, entry)) return true;
    }
    return sink.subscriber.closed;
  }

  #take(answer: Producing, event: SseEvent): void {
    if (answer.ended) return;
    let kept: SseEvent;
    try {
      const value: unknown = event;
      if (typeof value !== 'object' || value === null) throw new TypeError('not an event');
      kept = preEncode({ ...event, id: String(answer.next) });
    } catch (error) {
      this.#fail(answer, 'error', error);
      return;
    }
    const bytes = byteLength(encode(kept));
    if (answer.bytes + bytes > this.#options.maxBytesPerStream) {
      const bound = String(this.#options.maxBytesPerStream);
      this.#fail(
        answer,
        'too-large',
        new RangeError(`the answer passed maxBytesPerStream (${bound} bytes)`),
      );
      return;
    }
    answer.bytes += bytes;
    this.#write(answer, fieldsOf(kept), false);
  }

  #fail(answer: Producing, reason: FailReason, error: unknown): void {
    if (answer.ended) return;
    this.#end(answer, failedFields(reason));
    this.#report(error, answer.id);
  }

  #end(answer: Producing, fields: readonly string[]): void {
    if (answer.ended) return;
    this.#endAs(answer, fields);
    this.#stopProducing(answer);
  }

  /** Writes the entry that ends the answer. */
  #endAs(answer: Producing, fields: readonly string[]): void {
    this.#write(answer, fields, true);
  }

  #stopProducing(answer: Producing): void {
    answer.ended = true;
    this.#running.delete(answer.id);
    // Stopping first: what the producer does as it is unsubscribed finds the answer ended.
    answer.stop.next();
    if (this.#running.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /** Appends the next entry; a write Redis refuses ends the answer here (reported once). */
  #write(answer: Producing, fields: readonly string[], last: boolean): void {
    const seq = answer.next++;
    this.#client
      .eval(writeScript, {
        keys: [answer.key, answer.lease],
        arguments: [
          entryId(seq - 1),
          entryId(seq),
          last ? String(this.#options.ttl) : '',
          ...fields,
        ],
      })
      .catch((error: unknown) => {
        // The first write to fail (those after it fail too): the producer goes, and its lease
        // with it, so that readers elsewhere learn within one leaseInterval.
        if (answer.broken) return;
        answer.broken = true;
        if (!answer.ended) this.#stopProducing(answer);
        this.#client.del(answer.lease).catch(() => undefined);
        this.#report(error, answer.id);
      });
  }

  /** The one timer renewing the leases of every running answer, while there is one. */
  #arm(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = setInterval(() => {
      const life = this.#leaseLife;
      for (const answer of this.#running.values()) {
        this.#client.set(answer.lease, '1', { PX: life }).catch(() => undefined);
        this.#client.pExpire(answer.key, this.#options.ttl + life).catch(() => undefined);
      }
    }, this.#leaseInterval);
    this.#timer.unref();
  }

  // A method, not the field: a check after an await would be narrowed by the one before it.
  #isClosed(): boolean {
    return this.#closed;
  }

  #report(error: unknown, id: string): void {
    try {
      this.#options.onError(error, id);
    } catch (thrown) {
      console.error('rx-sse/redis: options.onError threw:', thrown);
    }
  }
}
