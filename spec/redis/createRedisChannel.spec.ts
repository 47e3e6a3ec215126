import { expect } from 'chai';
import sinon from 'sinon';
import type { RedisClientType } from 'redis';
import { sse, type SseEvent } from 'rx-sse';
import { createRedisChannel, type RedisChannel, type RedisChannelOptions } from 'rx-sse/redis';
import { connectClient, startRedis, type TestRedis } from '../support/redis.js';
import {
  delay,
  openStream,
  startServer,
  waitFor,
  type OpenStream,
  type TestServer,
} from '../support/server.js';

describe('createRedisChannel (on a real redis-server)', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  let clients: RedisClientType[] = [];
  let channels: RedisChannel[] = [];
  let servers: TestServer[] = [];
  let key = 'chat';
  let keys = 0;

  before(async function () {
    redis = await startRedis(this);
  });
  after(async () => {
    await redis?.stop();
  });
  beforeEach(() => {
    key = `chat-${String(++keys)}`;
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all(channels.map((channel) => channel.complete()));
    await Promise.all(clients.map((client) => client.close().catch(() => client.destroy())));
    servers = [];
    channels = [];
    clients = [];
  });

  async function connect(): Promise<RedisClientType> {
    const client = await connectClient(redis!.url);
    clients.push(client);
    return client;
  }

  async function channel(options: RedisChannelOptions = {}): Promise<RedisChannel> {
    const created = await createRedisChannel(await connect(), key, options);
    channels.push(created);
    return created;
  }

  async function serve(of: RedisChannel, options = {}): Promise<string> {
    const server = await startServer(
      sse((ctx) => of.stream(ctx), { heartbeat: false, ...options }),
    );
    servers.push(server);
    return server.origin;
  }

  const datas = (stream: OpenStream) => stream.events.map((event) => event.data);

  it('should deliver what is published on one channel instance to every client of another', async () => {
    const a = await channel();
    const b = await channel();
    const origin = await serve(b);
    const readers = await Promise.all(Array.from({ length: 10 }, () => openStream(origin)));
    await waitFor(() => b.subscribers === 10, 'ten subscribers');
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await a.send({ i }, 'tick'));
    await waitFor(() => readers.every((r) => r.events.length === 20), 'every event');
    for (const reader of readers) {
      expect(reader.events.map((event) => event.id)).to.deep.equal(ids);
      expect(reader.events.map((event) => event.event)).to.deep.equal(Array(20).fill('tick'));
      expect(datas(reader)).to.deep.equal(ids.map((_, i) => JSON.stringify({ i })));
    }
    expect(b.lastId).to.equal(ids.at(-1));
  });

  it('should store publishes in the order they were made, even a burst made before any reply', async () => {
    const a = await channel();
    const origin = await serve(a);
    const reader = await openStream(origin);
    await waitFor(() => a.subscribers === 1, 'the subscriber');
    // Three bursts of ten, a turn apart and none awaited: the first publishes of a fresh
    // connection are still in flight when the later ones are made.
    const published: Promise<string>[] = [];
    for (let burst = 0; burst < 3; burst++) {
      for (let n = 0; n < 10; n++) published.push(a.send(String(burst * 10 + n)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const ids = await Promise.all(published);
    const inOrder = Array.from({ length: 30 }, (_, i) => String(i));
    const stored = await (await connect()).xRange(key, '-', '+');
    expect(stored?.map((entry) => entry.id)).to.deep.equal(ids);
    await waitFor(() => reader.events.length === 30, 'every event');
    expect(datas(reader)).to.deep.equal(inOrder);
    expect(reader.events.map((event) => event.id)).to.deep.equal(ids);
  });

  it('should give the same values to filters in every process: data is parsed back', async () => {
    const a = await channel();
    const b = await channel();
    const seen: SseEvent[] = [];
    const subscription = b.stream(undefined).subscribe((event) => seen.push(event));
    const id = await a.publish({ event: 'note', data: { n: 1 }, comment: 'c', retry: 10 });
    await a.send('plain\ntext');
    await waitFor(() => seen.length === 2, 'two events');
    subscription.unsubscribe();
    expect({ ...seen[0] }).to.deep.equal({
      id,
      event: 'note',
      data: { n: 1 },
      comment: 'c',
      retry: 10,
    });
    expect(seen[1]!.data).to.equal('plain\ntext');
  });

  it('should give a client that moves to another instance with Last-Event-ID exactly what it missed, from Redis and then live', async () => {
    const a = await channel({ maxEvents: 5000 });
    const originA = await serve(a);
    const first = await openStream(originA);
    await waitFor(() => a.subscribers === 1, 'a subscriber');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await a.send(i));
    await waitFor(() => first.events.length === 5, 'five events');
    first.close();
    // Missed while away: enough that B's own history (it starts now) cannot have them.
    for (let i = 5; i < 1200; i++) ids.push(await a.send(i));
    const b = await channel({ maxEvents: 5000 });
    const originB = await serve(b);
    // Publishing goes on while the client replays from Redis and crosses to B's live events.
    const state = { publishing: true };
    const publisher = (async () => {
      for (let i = 1200; state.publishing; i++) {
        ids.push(await a.send(i));
        await delay(1);
      }
    })();
    const second = await openStream(originB, { 'Last-Event-ID': first.events.at(-1)!.id! });
    await waitFor(() => second.events.length > 1300, 'the replay and some live events');
    state.publishing = false;
    await publisher;
    // Sent after every other: once it has come, so has anything (a duplicate) before it.
    const last = await a.send('last');
    ids.push(last);
    await waitFor(() => second.events.at(-1)?.id === last, 'the rest');
    expect(second.events.map((event) => event.id)).to.deep.equal(ids.slice(5));
  });

  it('should give a new client the recent events it asks for, from Redis', async () => {
    const a = await channel();
    for (let i = 0; i < 10; i++) await a.send(i);
    const b = await channel(); // its reader starts after these ten
    const got: unknown[] = [];
    const subscription = b.stream(undefined, { recent: 3 }).subscribe((e) => got.push(e.data));
    await waitFor(() => got.length === 3, 'three recent events');
    await a.send(10);
    await waitFor(() => got.length === 4, 'the live one');
    subscription.unsubscribe();
    expect(got).to.deep.equal([7, 8, 9, 10]);
  });

  it('should start with a reset when the Last-Event-ID was trimmed away, unknown or from the future', async () => {
    const a = await channel({ maxEvents: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push(await a.send(i));
    const b = await channel({ maxEvents: 5 });
    const origin = await serve(b);
    const read = async (lastEventId: string) => {
      const stream = await openStream(origin, { 'Last-Event-ID': lastEventId });
      await waitFor(() => stream.events.length === 6, `six events after ${lastEventId}`);
      stream.close();
      return stream.events.map(({ event, id, data }) => ({ event, id, data }));
    };
    const held = ids.slice(5).map((id, i) => ({ event: undefined, id, data: String(i + 5) }));
    expect(await read(ids[1]!)).to.deep.equal([
      { event: 'reset', id: ids[4], data: 'expired' },
      ...held,
    ]);
    for (const unknown of ['nonsense', '99999999999999-0']) {
      expect(await read(unknown)).to.deep.equal([
        { event: 'reset', id: ids[4], data: 'unknown' },
        ...held,
      ]);
    }
  });

  it('should trim the stream by age on Redis, and by count', async () => {
    const a = await channel({ maxAge: 300, maxEvents: 4 });
    for (let i = 0; i < 6; i++) await a.send(i);
    const client = clients[0]!;
    expect(await client.xLen(key)).to.equal(4);
    await delay(400);
    await a.send('fresh');
    expect(((await client.xRange(key, '-', '+')) ?? []).map((e) => e.message['d'])).to.deep.equal([
      'fresh',
    ]);
  });

  it('should encode each event once per process, whatever the number of clients', async () => {
    const serialize = sinon.spy((data: unknown) => JSON.stringify(data));
    const a = await channel({ serialize });
    const b = await channel({ serialize });
    const origin = await serve(b, { serialize });
    const readers = await Promise.all(Array.from({ length: 25 }, () => openStream(origin)));
    await waitFor(() => b.subscribers === 25, 'subscribers');
    for (let i = 0; i < 30; i++) await a.send({ i });
    await waitFor(() => readers.every((r) => r.events.length === 30), 'every event');
    // Once by the publisher; the reader keeps the stored text, so B serializes nothing.
    expect(serialize.callCount).to.equal(30);
    for (const reader of readers) expect(reader.text).to.equal(readers[0]!.text);
  });

  it('should recover from Redis killed and restarted mid-stream, without loss or duplication', async () => {
    const errors: unknown[] = [];
    const a = await channel({ onError: () => undefined });
    const b = await channel({ onError: (error) => errors.push(error) });
    const origin = await serve(b);
    const readers = await Promise.all(Array.from({ length: 5 }, () => openStream(origin)));
    await waitFor(() => b.subscribers === 5, 'subscribers');
    const state = { publishing: true, failed: 0 };
    const publisher = (async () => {
      for (let i = 0; state.publishing; i++) {
        try {
          await a.send(i);
        } catch {
          state.failed++; // not known to be stored: the stream itself is the truth below
          await delay(50);
        }
        await delay(2);
      }
    })();
    await waitFor(() => readers.every((r) => r.events.length >= 50), 'events before the kill');
    await redis!.kill();
    await delay(1000);
    await redis!.restart();
    const after = readers[0]!.events.length;
    await waitFor(() => readers.every((r) => r.events.length >= after + 50), 'events after it');
    state.publishing = false;
    await publisher;
    const stored = ((await clients[0]!.xRange(key, '-', '+')) ?? []).map((entry) => entry.id);
    await waitFor(() => readers.every((r) => r.events.length === stored.length), 'all stored');
    for (const reader of readers) {
      expect(reader.events.map((event) => event.id)).to.deep.equal(stored);
    }
    expect(String(errors[0])).to.match(/reading chat-\d+ failed; retrying/);
    expect(String(errors.at(-1))).to.match(/reading chat-\d+ again/);
  });

  it('should end its streams and stop its reader on complete(), and refuse to publish after', async () => {
    const a = await channel();
    const origin = await serve(a);
    const reader = await openStream(origin);
    await waitFor(() => a.subscribers === 1, 'a subscriber');
    await a.send('last');
    await waitFor(() => reader.events.length === 1, 'the event');
    await a.complete();
    await reader.ended;
    expect(a.closed).to.equal(true);
    let refused: unknown;
    await a.send('more').catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/complete/);
  });

  it('should skip (and report) an entry no channel wrote, live and in replays, and survive a throwing onError', async () => {
    const logged = sinon.stub(console, 'error');
    try {
      const a = await channel({ onError: () => undefined });
      const b = await channel({
        onError: () => {
          throw new Error('a broken onError');
        },
      });
      const live: unknown[] = [];
      const subscription = b.stream(undefined).subscribe((event) => live.push(event.data));
      const before = await a.send('before');
      await clients[0]!.xAdd(key, '*', { p: before, j: '1', d: '{not json' });
      await a.send('after');
      await waitFor(() => live.length === 2, 'the live events around the bad one');
      subscription.unsubscribe();
      expect(live).to.deep.equal(['before', 'after']);
      expect(logged.firstCall.args.map(String).join(' ')).to.match(/onError threw/);
      // A process that starts now replays it from Redis: skipped too, for an id and for recent.
      const c = await channel({ onError: () => undefined });
      const replayed: unknown[] = [];
      const again = c.stream('0-0').subscribe((event) => replayed.push(event.data));
      const recent: unknown[] = [];
      const fresh = c.stream(undefined, { recent: 3 }).subscribe((e) => recent.push(e.data));
      await waitFor(() => replayed.length === 2 && recent.length === 2, 'the replays');
      again.unsubscribe();
      fresh.unsubscribe();
      expect(replayed).to.deep.equal(['before', 'after']);
      expect(recent).to.deep.equal(['before', 'after']);
    } finally {
      logged.restore();
    }
  });

  it('should tell live streams of a hole when the reader comes back after the stream was trimmed past it', async () => {
    const a = await channel({ maxEvents: 5, onError: () => undefined });
    const b = await channel({ maxEvents: 5, onError: () => undefined });
    const live: SseEvent[] = [];
    const subscription = b.stream(undefined).subscribe((event) => live.push(event));
    await a.send('first');
    await waitFor(() => live.length === 1, 'the first event');
    const admin = clients[0]!;
    const list = await admin.sendCommand<string>(['CLIENT', 'LIST']);
    const reader = list.split('\n').find((line) => line.includes('cmd=xread'));
    await admin.sendCommand(['CLIENT', 'KILL', 'ID', /id=(\d+)/.exec(reader ?? '')![1]!]);
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => a.send(i)));
    await waitFor(() => live.at(-1)?.id === ids[19], 'the last event');
    subscription.unsubscribe();
    // What the reader read before it was cut, then the hole announced, then what was kept.
    const seen = live.slice(1).map(({ event, id, data }) => ({ event, id, data }));
    const kept = ids.slice(15).map((id, i) => ({ event: undefined, id, data: i + 15 }));
    const before = seen.slice(0, -6);
    expect(seen.slice(-6)).to.deep.equal([
      { event: 'reset', id: ids[14], data: 'expired' },
      ...kept,
    ]);
    expect(before).to.deep.equal(
      ids.slice(0, before.length).map((id, i) => ({ event: undefined, id, data: i })),
    );
  });

  it('should announce a gap just before an entry it skips, live and in a replay', async () => {
    const live = await channel({ onError: () => undefined });
    const a = await live.send('A');
    const got: SseEvent[] = [];
    const subscription = live.stream(undefined).subscribe((event) => got.push(event));
    // In one transaction, so the reader cannot read B before it goes: B, an entry no channel
    // could decode (C), D; then B is deleted as trimming would.
    const ms = Date.now() + 1;
    const [b, c, d] = [0, 1, 2].map((n) => `${String(ms)}-${String(n)}`) as [
      string,
      string,
      string,
    ];
    const redisClient = clients[0]!;
    await redisClient
      .multi()
      .xAdd(key, b, { p: a, d: 'B' })
      .xAdd(key, c, { p: b, d: '{not json', j: '1' })
      .xAdd(key, d, { p: c, d: 'D' })
      .xDel(key, [a, b])
      .exec();
    await waitFor(() => got.length === 2, 'a reset and D');
    subscription.unsubscribe();
    const shown = (events: SseEvent[]) => events.map((e) => [e.event ?? 'message', e.id, e.data]);
    expect(shown(got)).to.deep.equal([
      ['reset', b, 'expired'],
      ['message', d, 'D'],
    ]);
    const replayer = await channel({ onError: () => undefined });
    const replayed: SseEvent[] = [];
    replayer.stream(a).subscribe((event) => replayed.push(event));
    await waitFor(() => replayed.length === 2, 'the replay');
    expect(shown(replayed)).to.deep.equal(shown(got));
  });

  it('should announce a gap that opens in the middle of a recent replay', async () => {
    const a = await channel({ maxEvents: 600, onError: () => undefined });
    await Promise.all(Array.from({ length: 600 }, (_, i) => a.send(i + 1)));
    const b = await channel({ maxEvents: 600, onError: () => undefined });
    // Between the replay's two batches of 500, a burst elsewhere trims what it has yet to read.
    const replaying = clients[1]!;
    const xRange = replaying.xRange.bind(replaying);
    let calls = 0;
    Object.defineProperty(replaying, 'xRange', {
      value: async (...args: Parameters<typeof xRange>) => {
        if (++calls === 2)
          await Promise.all(Array.from({ length: 550 }, (_, i) => a.send(601 + i)));
        return xRange(...args);
      },
    });
    const got: SseEvent[] = [];
    const subscription = b.stream(undefined, { recent: 600 }).subscribe((e) => got.push(e));
    await waitFor(() => got.at(-1)?.data === 1150, 'the last event');
    subscription.unsubscribe();
    const data = got.map((event) => (event.event === 'reset' ? 'reset' : event.data));
    const at = data.indexOf('reset');
    expect(data.slice(0, at)).to.deep.equal(Array.from({ length: at }, (_, i) => i + 1));
    expect(data.slice(at + 1)).to.deep.equal(
      Array.from(
        { length: 1150 - (data[at + 1] as number) + 1 },
        (_, i) => (data[at + 1] as number) + i,
      ),
    );
    expect(at).to.be.above(0);
  });

  it('should stop, saying why, rather than spin on an id past 2^53', async () => {
    const errors: unknown[] = [];
    const a = await channel({ onError: (error) => errors.push(error) });
    const got: SseEvent[] = [];
    let ended = false;
    a.stream(undefined).subscribe({ next: (e) => got.push(e), complete: () => (ended = true) });
    await clients[0]!.xAdd(key, '9007199254740993-0', { p: '0-0', d: 'huge' });
    await waitFor(() => ended, 'the stream to end');
    // Its reader has stopped: nothing more can be reported.
    await a.complete();
    expect(errors.map(String)).to.deep.equal([
      `Error: rx-sse/redis: entry id 9007199254740993-0 of ${key} is beyond 2^53, which rx-sse cannot order; was it added with an explicit id?`,
    ]);
    expect(a.closed).to.equal(true);
    let refused: unknown;
    await createRedisChannel(clients[0]!, key).catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/beyond 2\^53/);
  });

  it('should not replay what is older than maxAge, even when nothing was published to trim it', async () => {
    const a = await channel({ maxAge: 300 });
    const start = a.lastId;
    const old = await a.send('old');
    await delay(400);
    const b = await channel({ maxAge: 300 });
    const recent: unknown[] = [];
    b.stream(undefined, { recent: 10 }).subscribe((event) => recent.push(event));
    const resumed: SseEvent[] = [];
    b.stream(start).subscribe((event) => resumed.push(event));
    await waitFor(() => resumed.length === 1, 'the reset');
    // A live event comes after whatever the replay of the recent ones gives: none.
    const fresh = await a.send('fresh');
    await waitFor(() => recent.length > 0, 'the live event');
    expect(recent.map((event) => (event as SseEvent).id)).to.deep.equal([fresh]);
    expect({ ...resumed[0] }).to.deep.equal({ event: 'reset', id: old, data: 'expired' });
  });

  it('should give a new client all it holds with recent: Infinity', async () => {
    const a = await channel();
    for (const data of ['x', 'y']) await a.send(data);
    const b = await channel();
    const got: unknown[] = [];
    b.stream(undefined, { recent: Infinity }).subscribe((event) => got.push(event.data));
    await waitFor(() => got.length === 2, 'both');
    expect(got).to.deep.equal(['x', 'y']);
  });

  it('should end streams still replaying from Redis on complete(), and stop its reader at once', async () => {
    const a = await channel({ block: 30_000 });
    await a.send('x');
    const b = await channel({ block: 30_000 });
    const origin = await serve(b);
    redis!.pause();
    try {
      const replaying = await openStream(origin, { 'Last-Event-ID': '1-0' });
      await delay(100);
      const completed = b.complete();
      const outcome = await Promise.race([
        Promise.all([completed, replaying.ended]).then(() => 'ended'),
        delay(10_000).then(() => 'still open after 10 s'),
      ]);
      expect(outcome).to.equal('ended');
    } finally {
      redis!.resume();
    }
    const outcome = await Promise.race([
      a.complete().then(() => 'stopped'),
      delay(10_000).then(() => 'reader still blocked after 10 s'),
    ]);
    expect(outcome).to.equal('stopped');
  });

  it('should refuse bad arguments with errors that name them', async () => {
    const client = await connect();
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => createRedisChannel(null as never, 'k'), /client must be a node-redis client/],
      [() => createRedisChannel(client, ''), /key must be a non-empty string/],
      [() => createRedisChannel(client, 'k', { maxEvents: 0 }), /maxEvents must be at least 1/],
      [() => createRedisChannel(client, 'k', { block: 0 }), /block \(ms\) must be/],
      [() => createRedisChannel(client, 'k', { nope: 1 } as never), /unknown option "nope"/],
      [() => createRedisChannel(client, 'k', { deserialize: 1 as never }), /deserialize must be/],
      [() => createRedisChannel(client, 'k', { maxAge: 1500.5 }), /maxAge \(ms\) must be/],
    ];
    for (const [call, message] of cases) {
      let error: unknown;
      try {
        await call();
      } catch (caught) {
        error = caught;
      }
      expect(error, String(message)).to.be.instanceOf(TypeError);
      expect(String(error)).to.match(message);
    }
    const a = await channel({ maxAge: 100 * 365 * 24 * 3600 * 1000 });
    let refused: unknown;
    await a.publish({ id: 1, data: 'x' } as never).catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/assigns the id/);
    await a.publish({ event: 'x' }).catch((error: unknown) => (refused = error));
    expect(String(refused)).to.match(/needs data/);
    // A maxAge reaching back past 1970 trims nothing, and publishing works.
    expect(await a.send('kept')).to.match(/^\d+-\d+$/);
  });
});
