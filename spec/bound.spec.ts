import { expect } from 'chai';
import { Agent, get, request, type IncomingMessage } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { concat, defer, interval, map, NEVER, of, range, Subject, take, tap } from 'rxjs';
import sinon from 'sinon';
import { sse, type EndReason, type SseEvent } from 'rx-sse';
import { useFixture } from './support/fixture.js';
import { delay, fetchRaw, startServer, waitFor } from './support/server.js';

const kib = 1024;

/** A client that sends a GET, reads the head, and then stops reading. */
interface Stalled extends Socket {
  /** What arrived with the head (it may carry the first events too). */
  first: Buffer;
}

function stalled(origin: string, path = '/'): Promise<Stalled> {
  return new Promise((resolve) => {
    const socket = createConnection(Number(new URL(origin).port), '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
    });
    socket.once('data', (first: Buffer) => {
      socket.pause();
      resolve(Object.assign(socket, { first }));
    });
    socket.on('error', () => undefined);
  });
}

/** Reads a stalled socket to its end, from its first chunk on, and parses the events in it. */
function drain(socket: Stalled): Promise<EventSourceMessage[]> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [socket.first];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      // Undo the chunked transfer coding: size line, data, CRLF.
      let body = '';
      let at = text.indexOf('\r\n\r\n') + 4;
      for (;;) {
        const eol = text.indexOf('\r\n', at);
        const size = parseInt(text.slice(at, eol), 16);
        if (!(size > 0)) break;
        body += text.slice(eol + 2, eol + 2 + size);
        at = eol + 2 + size + 2;
      }
      const events: EventSourceMessage[] = [];
      createParser({ onEvent: (event) => events.push(event) }).feed(body);
      resolve(events);
    });
    socket.resume();
  });
}

/** A client that reads the stream at `origin` as it comes: the data of each event, in order. */
function reading(origin: string): { received: string[]; req: ReturnType<typeof get> } {
  const received: string[] = [];
  const req = get(origin, (res) => {
    const parser = createParser({ onEvent: (event) => received.push(event.data) });
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => parser.feed(chunk));
  });
  return { received, req };
}

describe('maxBufferedBytes and slow clients', function () {
  this.timeout(30_000);
  const t = useFixture();

  it('should cut a stalled client that a single burst (a replay) would put past the bound, and hint once', async () => {
    const burst = Array.from({ length: 50 }, (_, i) => ({ id: i, data: 'r'.repeat(64 * kib) }));
    const reasons: EndReason[] = [];
    // The stream: nothing, then 3.2 MB in one turn, as a replay of history would be.
    const events = new Subject<SseEvent>();
    const streaming = sse(() => events, {
      maxBufferedBytes: 256 * kib,
      heartbeat: false,
      onDisconnect: (_, reason) => reasons.push(reason),
    });
    t.server = await startServer(streaming);
    const socket = await stalled(t.server.origin);
    for (const event of burst) events.next(event);
    await waitFor(() => streaming.stats.closedSlow === 1, 'the cut');
    const again = await stalled(t.server.origin);
    for (const event of burst) events.next(event);
    await waitFor(() => streaming.stats.closedSlow === 2, 'the second cut');
    expect(reasons).to.deep.equal(['slow', 'slow']);
    expect(t.logged.callCount).to.equal(1);
    expect((t.logged.firstCall.args[1] as Error).message).to.match(
      /more than maxBufferedBytes \(262144\).*raise maxBufferedBytes/,
    );
    const connections = await new Promise<number>((resolve) =>
      t.server!.server.getConnections((_, n) => resolve(n)),
    );
    expect(connections).to.equal(0);
    socket.destroy();
    again.destroy();
  });

  it('should cut a client at the frame that passes the bound within subscribe(), letting a synchronous source go', async () => {
    let emitted = 0;
    const reasons: EndReason[] = [];
    // Frames of 100 bytes (`data: x…x\n\n`): 100 fit under 10,000 bytes, the 101st does not.
    const listener = sse(
      () =>
        range(0, 100_000).pipe(
          tap(() => emitted++),
          map(() => ({ data: 'x'.repeat(92) })),
        ),
      {
        maxBufferedBytes: 10_000,
        heartbeat: false,
        onConnect: () => reasons.push('complete'),
        onDisconnect: (_, reason) => reasons.push(reason),
      },
    );
    t.server = await startServer(listener);
    const failure = await new Promise<Error>((resolve) => {
      get(t.server!.origin, () => resolve(new Error('a response came'))).on('error', resolve);
    });
    expect(failure.message).to.match(/socket hang up|ECONNRESET/);
    expect(emitted).to.equal(101);
    // The head never went out: not a stream that opened, nor its hooks.
    expect(listener.stats).to.include({ closedSlow: 1, opened: 0, open: 0, events: 0 });
    expect(reasons).to.deep.equal([]);
    expect(t.logged.callCount).to.equal(1);
  });

  it("should skip a burst's events from where it passes the bound under 'drop', counted, and deliver what follows", async () => {
    const events = new Subject<SseEvent>();
    const listener = sse(() => events, {
      maxBufferedBytes: 256 * kib,
      onSlowClient: 'drop',
      heartbeat: false,
    });
    t.server = await startServer(listener);
    const { received, req } = reading(t.server.origin);
    await waitFor(() => listener.stats.open === 1, 'the stream');
    // 10 frames of 64 KiB and 8 bytes in one turn: 3 fit under 256 KiB, the 4th would not. The
    // small one after them would fit, but it comes after a dropped one: it is skipped too.
    for (let i = 0; i < 10; i++) events.next({ data: String(i).repeat(64 * kib) });
    events.next({ data: 'small' });
    await delay(20);
    events.next({ data: 'after' });
    await waitFor(() => received.includes('after'), 'the event after the burst');
    req.destroy();
    expect(received.map((data) => data.slice(0, 1))).to.deep.equal(['0', '1', '2', 'a']);
    expect(listener.stats.dropped).to.equal(8);
  });

  it("should deliver what follows a burst dropped whole within subscribe() under 'drop'", async () => {
    const events = new Subject<SseEvent>();
    const listener = sse(() => concat(of({ data: 'x'.repeat(2 * kib) }), events), {
      maxBufferedBytes: kib,
      onSlowClient: 'drop',
      heartbeat: false,
    });
    t.server = await startServer(listener);
    const { received, req } = reading(t.server.origin);
    await waitFor(() => listener.stats.open === 1, 'the stream');
    events.next({ data: 'after' });
    await waitFor(() => received.length > 0, 'the event after the dropped burst');
    req.destroy();
    expect(received).to.deep.equal(['after']);
    expect(listener.stats.dropped).to.equal(1);
  });

  it('should write the whole backlog of a slow reader before ending a completed stream', async () => {
    const chunk = 'c'.repeat(16 * kib);
    const listener = sse(
      () =>
        concat(
          interval(1).pipe(
            take(256),
            map((i) => ({ id: i, data: chunk })),
          ),
          of({ data: 'end' }),
        ),
      { maxBufferedBytes: 16 * 1024 * kib, heartbeat: false },
    );
    t.server = await startServer(listener);
    const socket = await stalled(t.server.origin);
    await delay(800);
    const events = await drain(socket);
    expect(events).to.have.length(257);
    expect(events.at(-1)?.data).to.equal('end');
    expect(listener.stats.closedSlow).to.equal(0);
  });

  it('should count the default address (the socket peer) for maxConnectionsPerAddress', async () => {
    t.server = await startServer(sse(() => NEVER, { maxConnectionsPerAddress: 1 }));
    const first = await new Promise<IncomingMessage>((resolve) =>
      get(t.server!.origin, { agent: false }, resolve),
    );
    expect((await fetchRaw(t.server.origin)).status).to.equal(503);
    first.destroy();
  });

  it('should send the last event to a client behind, without counting it as cut', async () => {
    const reasons: EndReason[] = [];
    // Bigger than any slack left under the bound.
    const bye = { event: 'bye', data: 'x'.repeat(16 * kib) };
    const listener = sse(
      () => interval(1).pipe(map((i) => ({ id: i, data: 'd'.repeat(8 * kib) }))),
      {
        // Under 'drop' the backlog sits at the bound when close() comes: the last event must go.
        maxBufferedBytes: 256 * kib,
        onSlowClient: 'drop',
        heartbeat: false,
        onDisconnect: (_, reason) => reasons.push(reason),
      },
    );
    t.server = await startServer(listener);
    const socket = await stalled(t.server.origin);
    await waitFor(() => listener.stats.dropped > 0, 'the backlog to reach the bound', 10_000);
    const closing = listener.close({ lastEvent: bye, timeout: 10_000 });
    const events = await drain(socket);
    await closing;
    expect(events.at(-1)).to.deep.equal({ ...bye, id: undefined });
    expect(listener.stats.closedSlow).to.equal(0);
    expect(reasons).to.deep.equal(['shutdown']);
  });
});

describe('hardening', function () {
  this.timeout(30_000);
  const t = useFixture();

  it('should answer 500, not crash, when a cors.origin function or addressOf throws', async () => {
    const listener = sse(() => of({ data: 1 }), {
      cors: {
        origin: (origin) => {
          if (origin === 'https://bad.example') throw new Error('origin check failed');
          return true;
        },
      },
      maxConnectionsPerAddress: 10,
      addressOf: (req) => {
        if (req.url === '/bad-address') throw new Error('address lookup failed');
        return 'x';
      },
    });
    t.server = await startServer(listener);
    expect((await fetchRaw(t.server.origin, { Origin: 'https://bad.example' })).status).to.equal(
      500,
    );
    expect((await fetchRaw(`${t.server.origin}/bad-address`)).status).to.equal(500);
    expect((await fetchRaw(t.server.origin, { Origin: 'https://good.example' })).body).to.equal(
      'data: 1\n\n',
    );
    expect(listener.stats).to.include({ errors: 2, refused: 2 });
    expect(t.logged.callCount).to.equal(2);
  });

  it('should let server.close() finish at once after close(), with keep-alive clients, in the order docs/production.md gives', async () => {
    const listener = sse(() => NEVER);
    t.server = await startServer(listener);
    const agent = new Agent({ keepAlive: true });
    const res = await new Promise<IncomingMessage>((resolve) =>
      get(t.server!.origin, { agent }, resolve),
    );
    res.resume();
    const started = Date.now();
    const serverClosed = new Promise<void>((resolve) => t.server!.server.close(() => resolve()));
    await listener.close();
    await serverClosed;
    expect(Date.now() - started).to.be.below(1000);
    agent.destroy();
    t.server = undefined;
  });

  it('should wait for ever with timeout: Infinity, and refuse a timeout past the timer limit', async () => {
    const listener = sse(() => interval(1).pipe(map(() => ({ data: 'w'.repeat(64 * kib) }))), {
      maxBufferedBytes: 64 * 1024 * kib,
      heartbeat: false,
    });
    t.server = await startServer(listener);
    const socket = await stalled(t.server.origin);
    await delay(200);
    expect(() => listener.close({ timeout: 2 ** 31 })).to.throw(TypeError, /at most 2147483647 ms/);
    let settled = false;
    // close() with a finite timeout destroys the responses with a timer; with Infinity it sets
    // none (node would run one past the limit after 1 ms), so only the client can settle it.
    const timers = sinon.spy(globalThis, 'setTimeout');
    let closing: Promise<unknown>;
    try {
      closing = listener.close({ timeout: Infinity }).then(() => (settled = true));
    } finally {
      timers.restore();
    }
    expect(timers.callCount).to.equal(0);
    expect(settled).to.equal(false);
    socket.destroy();
    await closing;
    expect(settled).to.equal(true);
  });

  it("should answer a request still in its handler at shutdown with the listener's Retry-After", async () => {
    let called = false;
    const listener = sse(
      async () => {
        called = true;
        await delay(50);
        return NEVER;
      },
      { retryAfter: 30 },
    );
    t.server = await startServer(listener);
    const pending = fetchRaw(t.server.origin);
    await waitFor(() => called, 'the handler');
    await listener.close();
    expect((await pending).headers['retry-after']).to.equal('30');
  });

  it('should merge Vary: Origin with a Vary of options.headers, on streams and refusals', async () => {
    const listener = sse(
      (ctx) => {
        if (ctx.url.pathname === '/no') throw new Error('refused');
        return of({ data: 1 });
      },
      { headers: { Vary: 'Accept-Encoding' }, cors: { origin: ['https://app.example'] } },
    );
    t.server = await startServer(listener);
    const ok = await fetchRaw(t.server.origin, { Origin: 'https://app.example' });
    const refused = await fetchRaw(`${t.server.origin}/no`, { Origin: 'https://app.example' });
    expect([ok.headers.vary, refused.headers.vary]).to.deep.equal([
      'Accept-Encoding, Origin',
      'Accept-Encoding, Origin',
    ]);
    expect(refused.headers['access-control-allow-origin']).to.equal('https://app.example');
  });

  it('should not count a HEAD request as a stream', async () => {
    const connected: string[] = [];
    const listener = sse(() => defer(() => NEVER), {
      onConnect: (ctx) => connected.push(ctx.url.pathname),
    });
    t.server = await startServer(listener);
    const res = await new Promise<IncomingMessage>((resolve) =>
      request(t.server!.origin, { method: 'HEAD' }, resolve).end(),
    );
    res.resume();
    expect(res.statusCode).to.equal(200);
    expect(listener.stats).to.include({ opened: 0, open: 0 });
    expect(connected).to.deep.equal([]);
  });
});
