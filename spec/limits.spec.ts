import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { NEVER } from 'rxjs';
import { sse, type SseListener } from 'rx-sse';
import { fetchRaw, startServer, waitFor, type TestServer } from './support/server.js';

describe('sse limits', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      get(url, { headers, agent: false }, resolve).on('error', reject);
    });
  }

  it('should answer 503 with Retry-After past maxConnections, and admit again once one leaves', async () => {
    const listener = sse(() => NEVER, { maxConnections: 2, retryAfter: 7 });
    server = await startServer(listener);
    const first = await open(server.origin);
    const second = await open(server.origin);
    const third = await fetchRaw(server.origin);
    expect([first.statusCode, second.statusCode]).to.deep.equal([200, 200]);
    expect([third.status, third.headers['retry-after'], third.body]).to.deep.equal([
      503,
      '7',
      'Too many connections',
    ]);
    first.destroy();
    await waitFor(() => listener.stats.open === 1, 'the first stream to end');
    const fourth = await open(server.origin);
    expect(fourth.statusCode).to.equal(200);
    second.destroy();
    fourth.destroy();
    expect(listener.stats.refused).to.equal(1);
  });

  it('should count handlers still working against maxConnections', async () => {
    let called = false;
    const listener = sse(() => ((called = true), new Promise<never>(() => undefined)), {
      maxConnections: 1,
    });
    server = await startServer(listener);
    const pending = get(server.origin, { agent: false }).on('error', () => undefined);
    await waitFor(() => listener.stats.open === 0 && called, 'the first request in its handler');
    expect((await fetchRaw(server.origin)).status).to.equal(503);
    pending.destroy();
  });

  it('should limit each address on its own with maxConnectionsPerAddress', async () => {
    const listener: SseListener = sse(() => NEVER, {
      maxConnectionsPerAddress: 1,
      // As behind a trusted proxy: the address comes from a header the proxy sets.
      addressOf: (req) => String(req.headers['x-client']),
    });
    server = await startServer(listener);
    const a = await open(server.origin, { 'X-Client': 'a' });
    const b = await open(server.origin, { 'X-Client': 'b' });
    const a2 = await fetchRaw(server.origin, { 'X-Client': 'a' });
    expect([a.statusCode, b.statusCode, a2.status]).to.deep.equal([200, 200, 503]);
    a.destroy();
    await waitFor(() => listener.stats.open === 1, 'a to leave');
    const a3 = await open(server.origin, { 'X-Client': 'a' });
    expect(a3.statusCode).to.equal(200);
    b.destroy();
    a3.destroy();
  });

  const bad: [string, () => unknown, RegExp][] = [
    [
      'a zero maxConnections',
      () => sse(() => NEVER, { maxConnections: 0 }),
      /options\.maxConnections must be an integer of at least 1 \(got number 0\)/,
    ],
    [
      'a fractional maxBufferedBytes',
      () => sse(() => NEVER, { maxBufferedBytes: 1.5 }),
      /options\.maxBufferedBytes must be an integer/,
    ],
    [
      'an unknown onSlowClient',
      () => sse(() => NEVER, { onSlowClient: 'wait' as never }),
      /options\.onSlowClient must be 'close' or 'drop' \(got string "wait"\)/,
    ],
    [
      'an addressOf that is no function',
      () => sse(() => NEVER, { addressOf: 'ip' as never }),
      /options\.addressOf must be a function/,
    ],
    [
      'a negative retryAfter',
      () => sse(() => NEVER, { retryAfter: -1 }),
      /options\.retryAfter must be an integer of at least 0/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`should refuse ${what} at setup`, () => {
      expect(make).to.throw(TypeError, message);
    });
  }
});
