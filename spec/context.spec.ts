import { expect } from 'chai';
import { request } from 'node:http';
import { of } from 'rxjs';
import { sse, type SseContext } from 'rx-sse';
import { doors } from './support/doors.js';
import { useFixture } from './support/fixture.js';
import { fetchRaw, startServer } from './support/server.js';
import { useDoor } from './support/stream.js';

/** Sends a request with exactly this target and these headers (http.get would normalise them). */
function raw(origin: string, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(origin, { path, headers, setHost: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject).end();
  });
}

for (const door of doors) {
  describe(`createContext (through sse, ${door} door)`, () => {
    const { serve } = useDoor(door);
    let origin = '';
    let ctx: SseContext | undefined;
    beforeEach(async () => {
      origin = await serve((context) => {
        ctx = context;
        return of({ data: 1 });
      });
    });
    afterEach(() => {
      ctx = undefined;
    });

    it('should read a path that starts with // as a path, not a host', async () => {
      await raw(origin, '//rooms/7?x=1', { host: '127.0.0.1' });
      expect([ctx?.url.host, ctx?.url.pathname, ctx?.url.search]).to.deep.equal([
        '127.0.0.1',
        '//rooms/7',
        '?x=1',
      ]);
    });

    it('should read a UTF-8 Last-Event-ID as a browser sends it', async () => {
      // A browser sends the id's UTF-8 bytes; node's client sends a string's chars as latin1 bytes.
      const utf8Bytes = Buffer.from('café-1 ✓', 'utf8').toString('latin1');
      await fetchRaw(origin, { 'Last-Event-ID': utf8Bytes });
      expect(ctx?.lastEventId).to.equal('café-1 ✓');
    });

    it('should keep a Last-Event-ID whose bytes are not UTF-8 as latin1', async () => {
      await fetchRaw(origin, { 'Last-Event-ID': 'caf\u00e9' });
      expect(ctx?.lastEventId).to.equal('café');
    });

    it('should prefer the header to the query and treat an empty header as absent', async () => {
      await fetchRaw(`${origin}/?lastEventId=q`, { 'Last-Event-ID': 'h' });
      expect(ctx?.lastEventId).to.equal('h');
      await fetchRaw(`${origin}/?lastEventId=q`, { 'Last-Event-ID': '' });
      expect(ctx?.lastEventId).to.equal('q');
    });

    it('should give the request as ctx.request on both doors, and as ctx.req on the node door', async () => {
      await fetchRaw(`${origin}/rooms/7?x=1`, { Authorization: 'Bearer t' });
      const request = ctx?.request;
      expect([request?.method, request?.url, request?.headers.get('authorization')]).to.deep.equal([
        'GET',
        `${origin}/rooms/7?x=1`,
        'Bearer t',
      ]);
      // By design: ctx.req is the node request on the node door, and undefined on the fetch door,
      // where ctx.request is the Request that listener.fetch got.
      if (door === 'node') expect(ctx?.req?.headers.authorization).to.equal('Bearer t');
      else expect(ctx?.req).to.equal(undefined);
    });
  });
}

// node door only: here rx-sse makes ctx.url from the request target and the Host header; a fetch
// runtime makes the Request's URL itself (@hono/node-server answers such a Host 400 on its own).
describe('createContext (through sse, node door only)', () => {
  const t = useFixture();
  let ctx: SseContext | undefined;

  it('should keep the path when the Host header is not a host', async () => {
    t.server = await startServer(
      sse((context) => {
        ctx = context;
        return of({ data: 1 });
      }),
    );
    await raw(t.server.origin, '/rooms/7', { host: 'evil/../x' });
    expect([ctx?.url.host, ctx?.url.pathname]).to.deep.equal(['localhost', '/rooms/7']);
  });
});
