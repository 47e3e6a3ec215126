import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { createConnection } from 'node:net';
import { map, NEVER, of } from 'rxjs';
import sinon from 'sinon';
import { sse, type SseContext } from 'rx-sse';
import { doors } from '../support/doors.js';
import { useFixture } from '../support/fixture.js';
import { fetchRaw, startServer, waitFor } from '../support/server.js';
import { open, rejectAfterTheClientLeft, useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: the handler's context (${door} door)`, () => {
    const d = useDoor(door);
    const { t, serve, listen } = d;

    it('should give the handler the URL and the Last-Event-ID header', async () => {
      let ctx: SseContext | undefined;
      const origin = await serve((context) => {
        ctx = context;
        return of({ data: 1 });
      });
      await fetchRaw(`${origin}/room/7?x=1`, { 'Last-Event-ID': '41' });
      expect(ctx?.url.pathname).to.equal('/room/7');
      expect(ctx?.url.searchParams.get('x')).to.equal('1');
      expect(ctx?.lastEventId).to.equal('41');
    });

    it('should resume from Last-Event-ID across a real EventSource reconnect', async () => {
      const seen: (string | undefined)[] = [];
      const origin = await serve(
        ({ lastEventId }) => {
          seen.push(lastEventId);
          const first = lastEventId === undefined ? 0 : Number(lastEventId) + 1;
          return of(0, 1, 2).pipe(map((i) => ({ id: first + i, data: first + i })));
        },
        { retry: 20 },
      );
      const source = new EventSource(origin);
      const data: string[] = [];
      source.onmessage = (event) => data.push(event.data);
      await waitFor(() => data.length >= 6, 'two connections of events');
      source.close();
      expect(data.slice(0, 6)).to.deep.equal(['0', '1', '2', '3', '4', '5']);
      expect(seen.slice(0, 2)).to.deep.equal([undefined, '2']);
    });

    it('should make ctx.signal when first read, aborted already when read after the end', async () => {
      let ctx: SseContext | undefined;
      const listener = sse((context) => {
        ctx = context;
        return NEVER;
      });
      const server = await listen(listener);
      const res = await open(server.origin);
      await waitFor(() => listener.stats.open === 1, 'the stream');
      res.destroy();
      await waitFor(() => listener.stats.open === 0, 'the teardown');
      // Never read while the stream lived: made now, already aborted.
      expect(ctx?.signal.aborted).to.equal(true);
      expect(ctx?.url.pathname).to.equal('/');
    });

    it('should not report an AbortError of work aborted at the end when the signal was never read', async () => {
      await rejectAfterTheClientLeft(d, new DOMException('gone', 'AbortError'));
      expect(t.logged.called).to.equal(false);
    });

    it('should let a handler copy the context with a spread, and assign its signal', async () => {
      const seen: [string | null, boolean][] = [];
      let combined: AbortSignal | undefined;
      const listener = sse((ctx) => {
        const copy = { ...ctx, user: 'ann' };
        ctx.signal = AbortSignal.any([ctx.signal, new AbortController().signal]);
        combined = ctx.signal;
        seen.push([copy.url.searchParams.get('room'), copy.signal.aborted]);
        return NEVER;
      });
      const server = await listen(listener);
      const res = await open(`${server.origin}/?room=7`);
      await waitFor(() => listener.stats.open === 1, 'the stream');
      res.destroy();
      await waitFor(() => listener.stats.open === 0, 'the teardown');
      expect(seen).to.deep.equal([['7', false]]);
      // Made from the context's own signal, the assigned one aborts with the stream.
      expect(combined?.aborted).to.equal(true);
    });

    it('should take ?lastEventId= when there is no header, and ignore one over the cap', async () => {
      const seen: (string | undefined)[] = [];
      const origin = await serve(({ lastEventId }) => (seen.push(lastEventId), of({ data: 1 })), {
        maxLastEventIdLength: 8,
      });
      await fetchRaw(`${origin}/?lastEventId=12`);
      await fetchRaw(`${origin}/?lastEventId=123456789`);
      await fetchRaw(origin, { 'Last-Event-ID': 'x'.repeat(9) });
      await fetchRaw(origin, { 'Last-Event-ID': 'y'.repeat(8) });
      expect(seen).to.deep.equal(['12', undefined, undefined, 'yyyyyyyy']);
    });
  });
}

// node:http only: a request target is only malformed on the wire; a fetch Request has a URL.
describe("sse: the handler's context (node door only)", () => {
  const t = useFixture();

  it('should answer 400 to a request target that is not a URL', async () => {
    const handler = sinon.spy(() => NEVER);
    t.server = await startServer(sse(handler));
    const origin = t.server.origin;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = createConnection(Number(new URL(origin).port), '127.0.0.1', () =>
        socket.write('GET nonsense HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'),
      );
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
    });
    expect(text).to.match(/^HTTP\/1\.1 400 /);
    expect(handler.called).to.equal(false);
  });
});
