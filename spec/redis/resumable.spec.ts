import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { RedisClientType } from 'redis';
import { interval, map, NEVER, of, Subject, take, type Observable } from 'rxjs';
import { HttpError, type SseEvent } from 'rx-sse';
import { createRedisResumableStreams, type RedisResumableOptions } from 'rx-sse/redis';
import { connectClient, startRedis, type TestRedis } from '../support/redis.js';
import { delay, waitFor } from '../support/server.js';

type Store = ReturnType<typeof createRedisResumableStreams>;

/** What a read gave: events as plain objects, whether it completed, its error's status. */
interface Seen {
  events: SseEvent[];
  done: boolean;
  status: number | undefined;
  at: number | undefined;
}

function watch(stream: Observable<SseEvent>): Seen {
  const seen: Seen = { events: [], done: false, status: undefined, at: undefined };
  stream.subscribe({
    next: (event) => seen.events.push({ ...event }),
    error: (error: unknown) => {
      seen.status = error instanceof HttpError ? error.status : -1;
    },
    complete: () => {
      seen.done = true;
      seen.at = Date.now();
    },
  });
  return seen;
}

const token = (i: number): SseEvent => ({ event: 'token', data: i % 2 === 0 ? String(i) : { i } });
const expected = (from: number, to: number): SseEvent[] =>
  Array.from({ length: to - from }, (_, k) => ({ ...token(from + k), id: String(from + k) }));

/** Errors of an async read as a status. */
async function statusOf(stream: Observable<SseEvent>): Promise<number | undefined> {
  const seen = watch(stream);
  await waitFor(() => seen.done || seen.status !== undefined, 'the read to end');
  return seen.status;
}

describe('createRedisResumableStreams (on a real redis-server)', function () {
  this.timeout(30_000);
  let redis: TestRedis | undefined;
  let clients: RedisClientType[] = [];
  let stores: Store[] = [];
  let admin: RedisClientType;
  let prefix = 'answers';
  let prefixes = 0;

  before(async function () {
    redis = await startRedis(this);
    admin = await connect();
  });
  after(async () => {
    await admin.close();
    await redis?.stop();
  });
  beforeEach(() => {
    prefix = `answers-${String(++prefixes)}`;
  });
  afterEach(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await Promise.all(
      clients.filter((c) => c !== admin).map((c) => c.close().catch(() => c.destroy())),
    );
    stores = [];
    clients = clients.filter((c) => c === admin);
  });

  async function connect(): Promise<RedisClientType> {
    const client = await connectClient(redis!.url);
    clients.push(client);
    return client;
  }

  /** A store on a client of its own: a process of its own, as far as Redis can tell. */
  async function proc(options: RedisResumableOptions = {}) {
    const client = await connect();
    const errors: unknown[] = [];
    const store = createRedisResumableStreams(client, {
      prefix,
      onError: (error) => errors.push(error),
      ...options,
    });
    stores.push(store);
    return { client, store, errors };
  }

  /** How many connections Redis has now. */
  async function connections(): Promise<number> {
    return (await admin.clientList()).length;
  }

  it('should give a reader on another process every event, with the same ids, then complete', async () => {
    const a = await proc();
    const b = await proc();
    const id = await a.store.start(interval(10).pipe(take(6), map(token)));
    const seen = watch(b.store.read(id));
    await waitFor(() => seen.done, 'the answer to complete on B', 5000);
    expect(seen.events).to.deep.equal(expected(0, 6));
    expect(seen.status).to.equal(undefined);
    expect(await b.store.has(id)).to.equal(true);
    expect(a.errors).to.deep.equal([]);
  });

  it('should resume from a Last-Event-ID mid-answer with exactly the rest, then live', async () => {
    const a = await proc();
    const b = await proc();
    const producer = new Subject<SseEvent>();
    const id = await a.store.start(producer);
    for (let i = 0; i < 4; i++) producer.next(token(i));
    const probe = watch(b.store.read(id));
    await waitFor(() => probe.events.length === 4, 'four events on B');
    const resumed = watch(b.store.read(id, { lastEventId: '1' }));
    await waitFor(() => resumed.events.length === 2, 'the two after 1');
    expect(resumed.events).to.deep.equal(expected(2, 4));
    expect(b.store.following).to.equal(1); // both readers on one follow
    for (let i = 4; i < 7; i++) producer.next(token(i));
    producer.complete();
    await waitFor(() => resumed.done && probe.done, 'both to complete');
    expect(resumed.events).to.deep.equal(expected(2, 7));
    expect(probe.events).to.deep.equal(expected(0, 7));
    expect(b.store.following).to.equal(0);
  });

  it('should replay a finished answer whole, and refuse what is not one of its ids or answers', async () => {
    const a = await proc();
    const b = await proc();
    const id = await a.store.start(of(token(0), token(1), token(2)));
    const first = watch(b.store.read(id));
    await waitFor(() => first.done, 'the answer to end');
    const whole = watch(b.store.read(id));
    await waitFor(() => whole.done, 'the replay');
    expect(whole.events).to.deep.equal(expected(0, 3));
    const last = watch(b.store.read(id, '2'));
    await waitFor(() => last.done, 'the replay after the last');
    expect(last.events).to.deep.equal([]);
    // The done marker (3), an id past it, and a non-number are no ids of the answer.
    for (const bad of ['3', '9', 'x', '1-0']) {
      expect(await statusOf(b.store.read(id, bad)), bad).to.equal(400);
    }
    expect(await statusOf(b.store.read(crypto.randomUUID()))).to.equal(404);
    expect(await statusOf(b.store.read('not-an-id:lease'))).to.equal(404);
    expect(await b.store.has(crypto.randomUUID())).to.equal(false);
  });

  it('should end a failing answer with a failed event, for readers on every process', async () => {
    const a = await proc({ maxBytesPerStream: 60 });
    const b = await proc();
    const big = await a.store.start(of(token(0), { data: 'x'.repeat(100) }, token(2)));
    const seen = watch(b.store.read(big));
    await waitFor(() => seen.done, 'the failed answer to end');
    expect(seen.events).to.deep.equal([
      ...expected(0, 1),
      { id: '1', event: 'failed', data: 'too-large' },
    ]);
    expect(a.errors).to.have.length(1);
    expect(a.errors[0]).to.be.instanceOf(RangeError);
  });

  it('should drop an answer ttl ms after it ends: then has() is false and reading it a 404', async () => {
    const a = await proc({ ttl: 150 });
    const b = await proc();
    const id = await a.store.start(of(token(0)));
    const seen = watch(b.store.read(id));
    await waitFor(() => seen.done, 'the answer');
    let gone = false;
    const deadline = Date.now() + 5000;
    while (!gone && Date.now() < deadline) {
      gone = !(await b.store.has(id));
      if (!gone) await delay(20);
    }
    expect(gone, 'expired within 5 s').to.equal(true);
    expect(await statusOf(b.store.read(id))).to.equal(404);
    expect(await admin.exists(`${prefix}:${id}:lease`)).to.equal(0);
  });

  it('should follow 50 live answers on one reader connection, with one XREAD at a time', async () => {
    const a = await proc();
    const b = await proc();
    const producers = Array.from({ length: 50 }, () => new Subject<SseEvent>());
    const ids = await Promise.all(producers.map((producer) => a.store.start(producer)));
    await delay(50); // connections of earlier specs gone
    const before = await connections();
    const seen = ids.map((id) => watch(b.store.read(id)));
    await waitFor(() => b.store.following === 50, 'fifty live follows');
    producers.forEach((producer, i) => producer.next(token(i)));
    await waitFor(() => seen.every((s) => s.events.length === 1), 'one event on each');
    const list = await admin.clientList();
    expect(list.length - before, 'connections B opened to read').to.equal(1);
    expect(list.filter((c) => c.cmd === 'xread')).to.have.length(1);
    producers.forEach((producer, i) => {
      producer.next(token(i + 1));
      producer.complete();
    });
    await waitFor(() => seen.every((s) => s.done), 'every answer to complete');
    seen.forEach((s, i) => {
      expect(s.events).to.deep.equal([
        { ...token(i), id: '0' },
        { ...token(i + 1), id: '1' },
      ]);
    });
    expect(b.store.following).to.equal(0);
    // Far fewer XREADs than answers × events: they were read together.
    expect(b.store.reads).to.be.below(60);
  });

  it('should take a new answer into the XREAD that is blocking, at once (CLIENT UNBLOCK)', async () => {
    const a = await proc({ leaseInterval: 2000 });
    const b = await proc({ leaseInterval: 2000 });
    const first = new Subject<SseEvent>();
    const one = watch(b.store.read(await a.store.start(first)));
    await waitFor(() => b.store.following === 1, 'the first follow');
    await delay(100); // its XREAD now blocks, for up to 2 s
    const second = new Subject<SseEvent>();
    const two = watch(b.store.read(await a.store.start(second)));
    await waitFor(() => b.store.following === 2, 'the second follow');
    const sent = Date.now();
    second.next(token(0));
    await waitFor(() => two.events.length === 1, 'the event of the second', 1000);
    expect(Date.now() - sent).to.be.below(500);
    expect(one.events).to.deep.equal([]);
    first.complete();
    second.complete();
    await waitFor(() => one.done && two.done, 'both to complete');
  });

  it('should give each reader every event once, in order, whenever it joins a fast answer', async () => {
    const a = await proc();
    const b = await proc();
    const id = await a.store.start(interval(1).pipe(take(300), map(token)));
    const readers: Seen[] = [];
    const from: (string | undefined)[] = [];
    for (let i = 0; i < 20; i++) {
      await delay(7);
      // Every other one resumes after an event it has seen on an earlier reader.
      const seenBefore = readers[0]?.events.at(-1)?.id;
      const lastEventId = i % 2 === 1 && seenBefore !== undefined ? String(seenBefore) : undefined;
      from.push(lastEventId);
      readers.push(watch(b.store.read(id, lastEventId)));
    }
    await waitFor(() => readers.every((r) => r.done), 'every reader to complete', 10_000);
    readers.forEach((reader, i) => {
      const start = from[i] === undefined ? 0 : Number(from[i]) + 1;
      expect(reader.events, `reader ${String(i)}`).to.deep.equal(expected(start, 300));
    });
    expect(b.store.following).to.equal(0);
  });

  it('should end an answer whose producer died with failed/lost, within 4 × leaseInterval', async () => {
    const leaseInterval = 100;
    const a = await proc({ leaseInterval });
    const b = await proc({ leaseInterval });
    const producer = new Subject<SseEvent>();
    const id = await a.store.start(producer);
    producer.next(token(0));
    const seen = watch(b.store.read(id));
    await waitFor(() => seen.events.length === 1, 'the first event');
    await delay(250); // a few renewals
    // The process dies: its connection cut, no end entry written, no more renewals.
    const killed = Date.now();
    a.client.destroy();
    await waitFor(() => seen.done, 'the lost answer to end', 5000);
    const took = (seen.at as number) - killed;
    console.log(
      `      lost producer told in ${String(took)} ms (bound ${String(4 * leaseInterval)} ms + round trips)`,
    );
    expect(seen.events).to.deep.equal([
      ...expected(0, 1),
      { id: '1', event: 'failed', data: 'lost' },
    ]);
    expect(took).to.be.below(4 * leaseInterval + 150);
    // Kept for the ttl like any ended answer, and replayed whole.
    const again = watch(b.store.read(id));
    await waitFor(() => again.done, 'the replay');
    expect(again.events).to.deep.equal(seen.events);
    expect(await admin.pTTL(`${prefix}:${id}`)).to.be.within(1, 600_000);
  });

  it('should end the answer of a producer process killed with SIGKILL as lost, within the bound', async () => {
    const leaseInterval = 100;
    const b = await proc({ leaseInterval });
    // The producer in a process of its own, killed mid-answer: nothing of it runs after.
    const code = `
      import { createClient } from 'redis';
      import { concat, of, NEVER } from 'rxjs';
      import { createRedisResumableStreams } from 'rx-sse/redis';
      const client = await createClient({ url: process.env.REDIS_URL }).connect();
      const answers = createRedisResumableStreams(client, { prefix: process.env.PREFIX, leaseInterval: ${String(leaseInterval)} });
      const id = await answers.start(concat(of({ event: 'token', data: '0' }), NEVER));
      process.stdout.write(id + '\\n');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(
      globalThis.process.execPath,
      ['--import', 'tsx', '--conditions=rx-sse-source', '--input-type=module', '-e', code],
      {
        env: { ...globalThis.process.env, REDIS_URL: redis!.url, PREFIX: prefix },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const id = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.once('exit', (status) =>
          reject(new Error(`the child exited with ${String(status)}`)),
        );
      });
      const seen = watch(b.store.read(id));
      await waitFor(() => seen.events.length === 1, 'the first event');
      await delay(250);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const killed = Date.now();
      child.kill('SIGKILL');
      await exited;
      await waitFor(() => seen.done, 'the lost answer to end', 5000);
      const took = (seen.at as number) - killed;
      console.log(`      killed producer told in ${String(took)} ms`);
      expect(seen.events).to.deep.equal([
        ...expected(0, 1),
        { id: '1', event: 'failed', data: 'lost' },
      ]);
      expect(took).to.be.below(4 * leaseInterval + 150);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('should stop on close(): its producers end as lost at once, its reader connection goes, the client stays', async () => {
    const a = await proc();
    const b = await proc();
    const id = await a.store.start(NEVER);
    const seen = watch(b.store.read(id));
    await waitFor(() => b.store.following === 1, 'the follow');
    await delay(50);
    const started = Date.now();
    await a.store.close();
    await waitFor(() => seen.done, 'the answer to end for B');
    expect(Date.now() - started).to.be.below(500);
    expect(seen.events).to.deep.equal([{ id: '0', event: 'failed', data: 'lost' }]);
    expect(await a.client.ping()).to.equal('PONG');
    const c = await proc();
    const live = watch(b.store.read(await c.store.start(NEVER)));
    await waitFor(() => b.store.following === 1, 'the live follow');
    await delay(50);
    const reading = await connections();
    await b.store.close();
    await waitFor(() => live.done, 'B to end its reader');
    // Its reader's connection is closed (Redis drops it a moment later): polled, not slept on.
    let now = reading;
    for (let tries = 0; tries < 100 && now !== reading - 1; tries++) {
      await delay(10);
      now = await connections();
    }
    expect(now).to.equal(reading - 1);
    expect(await b.client.ping()).to.equal('PONG');
    expect(await statusOf(b.store.read(id))).to.equal(503);
    let refused: unknown;
    await a.store.start(NEVER).catch((error: unknown) => (refused = error));
    expect(refused).to.be.instanceOf(HttpError);
  });

  it('should end an answer whose start() close() overtook as lost, once', async () => {
    const a = await proc();
    const b = await proc();
    const keys = new Set(await admin.keys(`${prefix}:*`));
    const starting = a.store.start(NEVER);
    await a.store.close();
    let refused: unknown;
    await starting.catch((error: unknown) => (refused = error));
    expect((refused as HttpError).status).to.equal(503);
    const [key] = (await admin.keys(`${prefix}:*`)).filter((k) => !keys.has(k));
    const seen = watch(b.store.read(String(key).slice(prefix.length + 1)));
    await waitFor(() => seen.done, 'the answer');
    expect(seen.events).to.deep.equal([{ id: '0', event: 'failed', data: 'lost' }]);
    expect(await admin.xLen(String(key))).to.equal(2);
  });

  it('should refuse each bad option with a TypeError naming it', async () => {
    const { client } = await proc();
    const bad: [RedisResumableOptions, RegExp][] = [
      [{ prefix: '' }, /options\.prefix/],
      [{ leaseInterval: 0 }, /options\.leaseInterval/],
      [{ leaseInterval: 1.5 }, /options\.leaseInterval/],
      [{ ttl: -1 }, /options\.ttl/],
      [{ maxStreams: 0 }, /options\.maxStreams/],
      [{ maxBytesPerStream: Infinity }, /options\.maxBytesPerStream/],
      [{ onError: 1 as never }, /options\.onError/],
      [{ lease: 1 } as never, /unknown option "lease"/],
    ];
    for (const [options, message] of bad) {
      expect(() => createRedisResumableStreams(client, options)).to.throw(TypeError, message);
    }
    expect(() => createRedisResumableStreams({} as never)).to.throw(TypeError, /client/);
    const store = createRedisResumableStreams(client);
    stores.push(store);
    await store.start(1 as never).then(
      () => expect.fail('started'),
      (error: unknown) => expect(error).to.be.instanceOf(TypeError),
    );
  });
});
