import { expect } from 'chai';
import sinon from 'sinon';
import { asyncScheduler, map } from 'rxjs';
import { sse } from 'rx-sse';
import { createChannel } from 'rx-sse/channel';
import { useFixture } from '../support/fixture.js';
import {
  delay,
  fetchRaw,
  openStream,
  startServer,
  waitFor,
  type OpenStream,
} from '../support/server.js';

describe('createChannel over node:http', function () {
  this.timeout(60_000);
  const t = useFixture();

  it('should encode each event once, whatever the number of clients, and send them all the same bytes', async () => {
    const serialize = sinon.spy((data: unknown) => JSON.stringify(data));
    const channel = createChannel({ serialize });
    t.server = await startServer(
      sse((ctx) => channel.stream(ctx), { serialize, heartbeat: false }),
    );
    const clients = await Promise.all(
      Array.from({ length: 40 }, () => openStream(t.server!.origin)),
    );
    await waitFor(() => channel.subscribers === 40, '40 subscribers');
    for (let i = 0; i < 100; i++)
      channel.publish({ event: 'tick', data: { i, at: 'x'.repeat(i) } });
    await waitFor(
      () => clients.every((c) => c.events.length === 100),
      'every event at every client',
    );
    expect(serialize.callCount).to.equal(100);
    const first = clients[0]!.text;
    expect(first).to.include('event: tick\nid: ');
    for (const client of clients) expect(client.text).to.equal(first);
    expect(clients[0]!.events.map((event) => JSON.parse(event.data) as unknown)).to.deep.equal(
      Array.from({ length: 100 }, (_, i) => ({ i, at: 'x'.repeat(i) })),
    );
  });

  it('should serve a stream returned as it is and a piped one alike, each as composed', async () => {
    const channel = createChannel();
    const onError = sinon.spy(() => ({ event: 'error', data: 'bad serializer' }));
    let fail = false;
    const serialize = (data: unknown): string => {
      if (fail) throw new Error('cannot serialize');
      return `own ${JSON.stringify(data)}`;
    };
    // The fed stream: a retry preamble, heartbeats only when idle (as the piped one), the
    // listener's own serializer, and an encoding failure ending it through onError.
    const fed = await startServer(
      sse((ctx) => channel.stream(ctx), { retry: 500, heartbeat: 300, serialize, onError }),
    );
    // The same channel, piped.
    const piped = await startServer(
      sse((ctx) => channel.stream(ctx).pipe(map((event) => event)), { heartbeat: 300, serialize }),
    );
    try {
      const a = await openStream(fed.origin);
      const b = await openStream(piped.origin);
      await waitFor(() => channel.subscribers === 2, 'two subscribers');
      for (let i = 0; i < 30; i++) {
        channel.send({ i });
        await delay(10);
      }
      await waitFor(() => b.events.length === 30, 'every event');
      expect(a.text.startsWith('retry: 500\n\n')).to.equal(true);
      expect(a.events.map((event) => event.data)).to.deep.equal(
        Array.from({ length: 30 }, (_, i) => `own {"i":${i}}`),
      );
      // Events every 10 ms: neither stream was idle long enough for a heartbeat.
      expect(a.text).not.to.contain(':\n\n');
      expect(b.text).not.to.contain(':\n\n');
      await waitFor(() => a.text.endsWith(':\n\n') && b.text.endsWith(':\n\n'), 'heartbeats');
      fail = true;
      channel.send({ i: 30 });
      await a.ended;
      expect(onError.callCount).to.equal(1);
      expect(a.events.at(-1)).to.deep.include({ event: 'error', data: 'bad serializer' });
    } finally {
      await Promise.all([fed.close(), piped.close()]);
    }
  });

  it('should answer 500 when the replay of a completed channel cannot be encoded, as a piped stream does', async () => {
    const channel = createChannel();
    channel.send({ ok: 1 });
    channel.send({ bad: true });
    channel.complete();
    const serialize = (data: unknown): string => {
      if ((data as { bad?: boolean }).bad === true) throw new Error('cannot serialize');
      return JSON.stringify(data);
    };
    for (const piped of [false, true]) {
      const onError = sinon.spy();
      const listener = sse(
        (ctx) =>
          piped
            ? channel.stream(ctx, { recent: 10 }).pipe(map((e) => e))
            : channel.stream(ctx, { recent: 10 }),
        { serialize, onError, heartbeat: false },
      );
      const server = await startServer(listener);
      try {
        const response = await fetchRaw(server.origin);
        expect(response.status, `piped: ${String(piped)}`).to.equal(500);
        expect(onError.callCount).to.equal(1);
        expect(listener.stats.errors).to.equal(1);
        expect(channel.subscribers).to.equal(0);
      } finally {
        await server.close();
      }
    }
  });

  it('should stop the heartbeat of a stream whose subscription fails to start', async () => {
    let broken = false;
    // A channel whose clock fails once the handler runs: listening (which evicts by age) throws.
    const clock = {
      now: () => {
        if (broken) throw new Error('no clock');
        return Date.now();
      },
      schedule: asyncScheduler.schedule.bind(asyncScheduler),
    };
    const channel = createChannel({ maxAge: 60_000 }, clock);
    channel.send('x');
    const listener = sse(
      (ctx) => {
        broken = true;
        return channel.stream(ctx);
      },
      { heartbeat: 20, onError: () => undefined },
    );
    t.server = await startServer(listener);
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    const response = await fetchRaw(t.server.origin);
    expect(response.status).to.equal(500);
    // The sweep would tick every 5 ms: waiting for the count to come back proves it stopped.
    await waitFor(() => timers() === before, 'the heartbeat sweep to stop');
    expect(timers()).to.equal(before);
  });

  it('should encode for each client with the listener’s own serializer when it differs', async () => {
    const channel = createChannel();
    const serialize = sinon.spy((data: unknown) => `custom ${JSON.stringify(data)}`);
    t.server = await startServer(
      sse((ctx) => channel.stream(ctx), { serialize, heartbeat: false }),
    );
    const clients = await Promise.all(
      Array.from({ length: 3 }, () => openStream(t.server!.origin)),
    );
    await waitFor(() => channel.subscribers === 3, '3 subscribers');
    channel.send({ n: 1 });
    await waitFor(() => clients.every((c) => c.events.length === 1), 'the event at every client');
    expect(serialize.callCount).to.equal(3);
    for (const client of clients) expect(client.events[0]!.data).to.equal('custom {"n":1}');
  });

  it('should give clients that reconnect with Last-Event-ID while publishing goes on every event once, in order', async () => {
    const channel = createChannel({ maxEvents: Infinity });
    t.server = await startServer(sse((ctx) => channel.stream(ctx), { heartbeat: false }));
    const origin = t.server.origin;
    const state = { publishing: true };
    const publisher = (async () => {
      for (let i = 0; state.publishing; i++) {
        channel.send(i);
        if (i % 2 === 0) await delay(1);
      }
    })();
    // Each client reads a while, drops the connection, and comes back with the last id it saw,
    // three times over, while events keep coming.
    const runs = Array.from({ length: 20 }, async (_, n) => {
      await delay(n * 7);
      const seen: string[] = [];
      const before = channel.lastId;
      let stream: OpenStream = await openStream(origin);
      for (let round = 0; round < 3; round++) {
        const want = stream.events.length + 5 + (n % 4) * 10;
        await waitFor(() => stream.events.length >= want, `client ${String(n)} reading`);
        stream.close();
        await stream.ended;
        seen.push(...stream.events.map((event) => event.id ?? ''));
        stream = await openStream(origin, { 'Last-Event-ID': seen.at(-1)! });
      }
      return { before, seen, last: stream };
    });
    const results = await Promise.all(runs);
    state.publishing = false;
    await publisher;
    channel.complete();
    const all: string[] = [];
    const log = channel.stream('0-0').subscribe((event) => all.push(event.id as string));
    log.unsubscribe();
    for (const { before, seen, last } of results) {
      await last.ended;
      const got = [...seen, ...last.events.map((event) => event.id)];
      const start = all.indexOf(got[0]!);
      // Live from when it connected: nothing from before.
      expect(start).to.be.at.least(all.indexOf(before) + 1);
      expect(got).to.deep.equal(all.slice(start));
    }
  });

  it('should end every response when the channel completes', async () => {
    const channel = createChannel();
    t.server = await startServer(sse((ctx) => channel.stream(ctx), { heartbeat: false }));
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => openStream(t.server!.origin)),
    );
    await waitFor(() => channel.subscribers === 5, '5 subscribers');
    channel.send('last');
    channel.complete();
    await Promise.all(clients.map((client) => client.ended));
    for (const client of clients)
      expect(client.events.map((event) => event.data)).to.deep.equal(['last']);
  });
});
