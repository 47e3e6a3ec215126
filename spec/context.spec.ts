import { expect } from 'chai';
import { request } from 'node:http';
import { of } from 'rxjs';
import { sse, type SseContext } from 'rx-sse';
import { fetchRaw, startServer, type TestServer } from './support/server.js';

describe('createContext (through sse)', () => {
  let server: TestServer | undefined;
  let ctx: SseContext | undefined;
  beforeEach(async () => {
    server = await startServer(
      sse((context) => {
        ctx = context;
        return of({ data: 1 });
      }),
    );
  });
  afterEach(async () => {
    await server?.close();
    ctx = undefined;
  });

  /** Sends a request with exactly this target and these headers (http.get would normalise them). */
  function raw(path: string, headers: Record<string, string>): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = request(server!.origin, { path, headers, setHost: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject).end();
    });
  }

  it('should read a path that starts with // as a path, not a host', async () => {
    await raw('//rooms/7?x=1', { host: '127.0.0.1' });
    expect([ctx?.url.host, ctx?.url.pathname, ctx?.url.search]).to.deep.equal([
      '127.0.0.1',
      '//rooms/7',
      '?x=1',
    ]);
  });

  it('should keep the path when the Host header is not a host', async () => {
    await raw('/rooms/7', { host: 'evil/../x' });
    expect([ctx?.url.host, ctx?.url.pathname]).to.deep.equal(['localhost', '/rooms/7']);
  });

  it('should read a UTF-8 Last-Event-ID as a browser sends it', async () => {
    // A browser sends the id's UTF-8 bytes; node's client sends a string's chars as latin1 bytes.
    const utf8Bytes = Buffer.from('café-1 ✓', 'utf8').toString('latin1');
    await fetchRaw(server!.origin, { 'Last-Event-ID': utf8Bytes });
    expect(ctx?.lastEventId).to.equal('café-1 ✓');
  });

  it('should keep a Last-Event-ID whose bytes are not UTF-8 as latin1', async () => {
    await fetchRaw(server!.origin, { 'Last-Event-ID': 'caf\u00e9' });
    expect(ctx?.lastEventId).to.equal('café');
  });

  it('should prefer the header to the query and treat an empty header as absent', async () => {
    await fetchRaw(`${server!.origin}/?lastEventId=q`, { 'Last-Event-ID': 'h' });
    expect(ctx?.lastEventId).to.equal('h');
    await fetchRaw(`${server!.origin}/?lastEventId=q`, { 'Last-Event-ID': '' });
    expect(ctx?.lastEventId).to.equal('q');
  });
});
