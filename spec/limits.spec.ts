import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { NEVER } from 'rxjs';
import { sse, type SseListener, type SseOptions } from 'rx-sse';
import { doors } from './support/doors.js';
import { fetchRaw, waitFor } from './support/server.js';
import { useDoor } from './support/stream.js';

function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(url, { headers, agent: false }, resolve).on('error', reject);
  });
}

for (const door of doors) {
  describe(`sse limits (${door} door)`, () => {
    const { listen } = useDoor(door);

    it('should answer 503 with Retry-After past maxConnections, and admit again once one leaves', async () => {
      const listener = sse(() => NEVER, { maxConnections: 2, retryAfter: 7 });
      const server = await listen(listener);
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
      const server = await listen(listener);
      const pending = get(server.origin, { agent: false }).on('error', () => undefined);
      await waitFor(() => listener.stats.open === 0 && called, 'the first request in its handler');
      expect((await fetchRaw(server.origin)).status).to.equal(503);
      pending.destroy();
    });

    it('should limit each address on its own with maxConnectionsPerAddress', async () => {
      // As behind a trusted proxy: the address comes from a header the proxy sets. The node door
      // reads it from the node request (addressOf); by design the fetch door, which has none,
      // from the fetch Request (fetchAddressOf).
      const addresses: SseOptions =
        door === 'node'
          ? { addressOf: (req) => String(req.headers['x-client']) }
          : { fetchAddressOf: (request) => String(request.headers.get('x-client')) };
      const listener: SseListener = sse(() => NEVER, {
        maxConnectionsPerAddress: 1,
        ...addresses,
      });
      const server = await listen(listener);
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

    it("should count by the client's socket address", async () => {
      const seen: string[] = [];
      // The node door's default addressOf reads req.socket; by design the fetch door has no
      // socket, and @hono/node-server passes { incoming, outgoing } as the platform.
      const addresses: SseOptions =
        door === 'node'
          ? {}
          : {
              fetchAddressOf: (_request, platform) => {
                const address = (platform as { incoming: IncomingMessage }).incoming.socket
                  .remoteAddress;
                seen.push(String(address));
                return String(address);
              },
            };
      const listener = sse(() => NEVER, { maxConnectionsPerAddress: 1, ...addresses });
      const server = await listen(listener);
      const first = await open(server.origin);
      const second = await fetchRaw(server.origin);
      expect([first.statusCode, second.status, second.body]).to.deep.equal([
        200,
        503,
        'Too many connections',
      ]);
      if (door === 'fetch') expect(seen).to.deep.equal(['127.0.0.1', '127.0.0.1']);
      first.destroy();
      await waitFor(() => listener.stats.open === 0, 'the first stream to end');
      const third = await open(server.origin);
      expect(third.statusCode).to.equal(200);
      third.destroy();
    });
  });
}

// Checked when sse() is called (or, for the fetch door's own needs, when listener.fetch is read),
// before either door serves anything.
describe('sse limits: options', () => {
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
      'a fetchAddressOf that is no function',
      () => sse(() => NEVER, { fetchAddressOf: 'ip' as never }),
      /options\.fetchAddressOf must be a function/,
    ],
    [
      'a negative retryAfter',
      () => sse(() => NEVER, { retryAfter: -1 }),
      /options\.retryAfter must be an integer of at least 0/,
    ],
    [
      'maxConnectionsPerAddress without fetchAddressOf on the fetch door',
      () => sse(() => NEVER, { maxConnectionsPerAddress: 1 }).fetch,
      /listener\.fetch needs options\.fetchAddressOf to count maxConnectionsPerAddress/,
    ],
  ];
  for (const [what, make, message] of bad) {
    it(`should refuse ${what} at setup`, () => {
      expect(make).to.throw(TypeError, message);
    });
  }
});
