import { createAdaptorServer } from '@hono/node-server';
import { expect } from 'chai';
import { IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { concat, finalize, map, NEVER, of, Subject, timer, type Observable } from 'rxjs';
import sinon from 'sinon';
import {
  HttpError,
  sse,
  type SseContext,
  type SseEvent,
  type SseHandler,
  type SseListener,
  type SseOptions,
} from 'rx-sse';
import { startDoor } from '../support/doors.js';
import {
  fetchRaw,
  openStream,
  startServer,
  waitFor,
  type OpenStream,
  type TestServer,
} from '../support/server.js';

// listener.fetch, the fetch door of an sse() listener: one set of streams, limits, figures and
// shutdown with the node door; its own way to learn an address; CORS; and the client leaving.

/** `events` now, then nothing, for ever; `finalized` counts the teardowns. */
function hold(...events: SseEvent[]): { handler: SseHandler; finalized: () => number } {
  let finalized = 0;
  return {
    handler: () =>
      concat(of(...events), NEVER).pipe(
        finalize(() => {
          finalized++;
        }),
      ),
    finalized: () => finalized,
  };
}

const get = (url = 'http://x/', init?: RequestInit): Request => new Request(url, init);

/** A fetch body read as it arrives. */
interface BodyReader {
  text: string;
  ended: Promise<void>;
  cancel(): Promise<void>;
}

function readBody(response: Response): BodyReader {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const body = { text: '', cancel: () => reader.cancel() };
  const ended = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      body.text += decoder.decode(value, { stream: true });
    }
  })();
  return Object.assign(body, { ended });
}

/** The status, Retry-After and body of a refusal. */
async function refusal(response: Response): Promise<[number, string | null, string]> {
  return [response.status, response.headers.get('retry-after'), await response.text()];
}

describe('SseListener.fetch', function () {
  this.timeout(20_000);
  let servers: TestServer[] = [];
  let listeners: SseListener[] = [];
  let readers: (OpenStream | BodyReader)[] = [];
  let logged: sinon.SinonStub;

  /** `sse(handler, options)`, closed after the test. */
  const listen = (handler: SseHandler, options: SseOptions = {}): SseListener => {
    const listener = sse(handler, { heartbeat: false, ...options });
    listeners.push(listener);
    return listener;
  };
  /** Reads a fetch door's body; cancelled after the test. */
  const read = (response: Response): BodyReader => {
    const body = readBody(response);
    readers.push(body);
    return body;
  };
  /** Opens a stream with node's client; cut after the test. */
  const open = async (url: string): Promise<OpenStream> => {
    const stream = await openStream(url);
    readers.push(stream);
    return stream;
  };
  /** Serves `listener` on both doors, on two servers: node:http, and @hono/node-server. */
  const both = async (listener: SseListener): Promise<{ node: string; fetch: string }> => {
    const node = await startServer(listener);
    const fetch = await startDoor('fetch', listener);
    servers.push(node, fetch);
    return { node: node.origin, fetch: fetch.origin };
  };

  /**
   * Serves `listener.fetch` as it is with @hono/node-server, which passes `{ incoming, outgoing }`
   * after the request; resolves with the origin.
   */
  const honoServer = async (listener: SseListener): Promise<string> => {
    const server = createAdaptorServer({
      fetch: listener.fetch,
      overrideGlobalObjects: false,
    }) as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push({
      server,
      origin,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    });
    return origin;
  };

  beforeEach(() => {
    logged = sinon.stub(console, 'error');
  });
  afterEach(async () => {
    logged.restore();
    for (const reader of readers) {
      if ('close' in reader) reader.close();
      else await reader.cancel().catch(() => undefined);
    }
    await Promise.all(listeners.map((listener) => listener.close({ timeout: 0 })));
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
    listeners = [];
    readers = [];
  });

  describe('one listener, two doors', () => {
    it('should send lastEvent to the streams of both doors on close(), end them, and resolve', async () => {
      const { handler, finalized } = hold({ data: 'hello' });
      const listener = listen(handler);
      const { node, fetch } = await both(listener);
      const onNode = await open(node);
      const onFetch = await open(fetch);
      const direct = read(await listener.fetch(get()));
      await waitFor(
        () => onNode.events.length === 1 && onFetch.events.length === 1 && direct.text !== '',
        'the first event on every stream',
      );
      expect(listener.stats.open).to.equal(3);
      await listener.close({ lastEvent: { event: 'bye', data: 'restarting', retry: 2000 } });
      await Promise.all([onNode.ended, onFetch.ended, direct.ended]);
      const expected = 'data: hello\n\nevent: bye\nretry: 2000\ndata: restarting\n\n';
      expect([onNode.text, onFetch.text, direct.text]).to.deep.equal([
        expected,
        expected,
        expected,
      ]);
      expect(finalized()).to.equal(3);
      expect(listener.stats.open).to.equal(0);
    });

    it('should refuse new requests on both doors once closing', async () => {
      const listener = listen(() => NEVER, { retryAfter: 7 });
      const { node } = await both(listener);
      await listener.close();
      const res = await fetchRaw(node);
      expect([res.status, res.headers['retry-after'], res.body]).to.deep.equal([
        503,
        '7',
        'Shutting down',
      ]);
      const response = await listener.fetch(get());
      expect(await refusal(response)).to.deep.equal([503, '7', 'Shutting down']);
      // A fetch runtime manages its own connections: no Connection header.
      expect(response.headers.get('connection')).to.equal(null);
    });

    it('should resolve close() after its timeout when a fetch body is not read, and fail that body', async () => {
      const { handler, finalized } = hold({ data: 'x' });
      const listener = listen(handler);
      const response = await listener.fetch(get());
      const started = Date.now();
      await listener.close({ timeout: 100 });
      expect(Date.now() - started).to.be.at.least(90);
      expect(finalized()).to.equal(1);
      const reader = response.body!.getReader();
      let failure: unknown;
      await reader.read().catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/the listener closed before the client read the end/);
    });

    it('should refuse with 503 a fetch request whose handler is still working when close() is called', async () => {
      let resolve: (stream: Observable<SseEvent>) => void = () => undefined;
      const handed = new Promise<Observable<SseEvent>>((r) => (resolve = r));
      const listener = listen(() => handed);
      const answer = listener.fetch(get());
      await listener.close();
      expect(await refusal(await answer)).to.deep.equal([503, '5', 'Shutting down']);
      // Its handler resolving late opens nothing: rx-sse, which took the promise first, has
      // acted on it once this await is over.
      resolve(of({ data: 'late' }));
      await handed;
      expect(listener.stats).to.include({ open: 0, opened: 0, refused: 1 });
    });

    it('should count a handler still working on the fetch door against maxConnections on the node door', async () => {
      let resolve: (stream: Observable<SseEvent>) => void = () => undefined;
      const listener = listen(() => new Promise<Observable<SseEvent>>((r) => (resolve = r)), {
        maxConnections: 1,
      });
      const { node } = await both(listener);
      const answer = listener.fetch(get());
      const res = await fetchRaw(node);
      expect([res.status, res.body]).to.deep.equal([503, 'Too many connections']);
      resolve(of({ data: 'x' }));
      const response = await answer;
      expect([response.status, await response.text()]).to.deep.equal([200, 'data: x\n\n']);
    });

    it('should count the addresses of both doors against maxConnectionsPerAddress', async () => {
      const { handler } = hold({ data: 'x' });
      // Node's socket address on the node door; the same, through @hono/node-server, on the fetch door.
      const listener = listen(handler, {
        maxConnectionsPerAddress: 1,
        fetchAddressOf: (_request, platform) =>
          (platform as { incoming: IncomingMessage }).incoming.socket.remoteAddress ?? '',
      });
      const nodeServer = await startServer(listener);
      servers.push(nodeServer);
      const fetchOrigin = await honoServer(listener);
      const onNode = await open(nodeServer.origin);
      await waitFor(() => onNode.events.length === 1, 'the node stream');
      const refused = await fetchRaw(fetchOrigin);
      expect([refused.status, refused.body]).to.deep.equal([503, 'Too many connections']);
      onNode.close();
      await waitFor(() => listener.stats.open === 0, 'the node stream to end');
      const onFetch = await open(fetchOrigin);
      await waitFor(() => onFetch.events.length === 1, 'the fetch stream');
      const res = await fetchRaw(nodeServer.origin);
      expect([res.status, res.body]).to.deep.equal([503, 'Too many connections']);
    });

    it('should answer HEAD on the fetch door with the head a GET gets, and no stream', async () => {
      const { handler, finalized } = hold({ data: 'x' });
      const called = sinon.spy(handler);
      const listener = listen(called, { headers: { 'X-Room': '7' } });
      const head = await listener.fetch(get('http://x/', { method: 'HEAD' }));
      const response = await listener.fetch(get());
      const body = read(response);
      await waitFor(() => body.text === 'data: x\n\n', 'the event');
      expect(head.status).to.equal(200);
      expect(head.body).to.equal(null);
      expect(Object.fromEntries(head.headers)).to.deep.equal(Object.fromEntries(response.headers));
      expect(head.headers.get('x-room')).to.equal('7');
      expect(called.callCount).to.equal(2);
      // HEAD's stream was subscribed for the synchronous window only, then let go.
      expect(finalized()).to.equal(1);
      expect(listener.stats).to.include({ open: 1, opened: 1 });
    });

    it('should count the streams of both doors against maxConnections', async () => {
      const { handler } = hold({ data: 'x' });
      const listener = listen(handler, { maxConnections: 1 });
      const { node } = await both(listener);
      // Open on the node door: the fetch door is full.
      const onNode = await open(node);
      await waitFor(() => onNode.events.length === 1, 'the node stream');
      expect(await refusal(await listener.fetch(get()))).to.deep.equal([
        503,
        '5',
        'Too many connections',
      ]);
      // Gone from the node door: room on the fetch door, and then the node door is full.
      onNode.close();
      await waitFor(() => listener.stats.open === 0, 'the node stream to end');
      const response = await listener.fetch(get());
      expect(response.status).to.equal(200);
      const direct = read(response);
      await waitFor(() => direct.text === 'data: x\n\n', 'the fetch stream');
      const res = await fetchRaw(node);
      expect([res.status, res.headers['retry-after'], res.body]).to.deep.equal([
        503,
        '5',
        'Too many connections',
      ]);
      expect(listener.stats).to.include({ open: 1, opened: 2, refused: 2 });
    });

    it('should count the figures of both doors in one stats', async () => {
      const { handler } = hold({ data: 'a' }, { data: 'b' });
      const listener = listen(handler);
      const { node, fetch } = await both(listener);
      const onNode = await open(node);
      const onFetch = await open(fetch);
      const direct = read(await listener.fetch(get()));
      expect((await listener.fetch(get('http://x/', { method: 'POST' }))).status).to.equal(405);
      await waitFor(
        () =>
          onNode.events.length === 2 && onFetch.events.length === 2 && direct.text.length === 18,
        'both events on every stream',
      );
      expect(listener.stats).to.deep.equal({
        open: 3,
        opened: 3,
        refused: 1,
        events: 6,
        bytes: 3 * 'data: a\n\ndata: b\n\n'.length,
        dropped: 0,
        closedSlow: 0,
        errors: 0,
      });
      onNode.close();
      await direct.cancel();
      await waitFor(() => listener.stats.open === 1, 'two streams to end');
      expect(listener.stats).to.include({ open: 1, opened: 3 });
    });
  });

  describe('options.fetchAddressOf', () => {
    it("should receive the request and the runtime's second argument, and limit per address", async () => {
      const seen: [Request, unknown][] = [];
      const listener = listen(() => NEVER, {
        maxConnectionsPerAddress: 1,
        fetchAddressOf: (request, platform) => {
          seen.push([request, platform]);
          return (platform as { ip: string }).ip;
        },
      });
      const first = get();
      const platform = { ip: '10.0.0.1' };
      const fromA = await listener.fetch(first, platform);
      expect(fromA.status).to.equal(200);
      expect(seen).to.have.length(1);
      expect(seen[0]![0]).to.equal(first);
      expect(seen[0]![1]).to.equal(platform);
      expect(await refusal(await listener.fetch(get(), { ip: '10.0.0.1' }))).to.deep.equal([
        503,
        '5',
        'Too many connections',
      ]);
      const fromB = await listener.fetch(get(), { ip: '10.0.0.2' });
      expect(fromB.status).to.equal(200);
      // The first from 10.0.0.1 leaves: another from there is served.
      await fromA.body!.cancel();
      const again = await listener.fetch(get(), { ip: '10.0.0.1' });
      expect(again.status).to.equal(200);
      await fromB.body!.cancel();
      await again.body!.cancel();
      expect(listener.stats).to.include({ open: 0, opened: 3, refused: 1 });
    });

    it("should see @hono/node-server's { incoming, outgoing } behind a real socket", async () => {
      const platforms: unknown[] = [];
      const listener = listen(() => NEVER, {
        maxConnectionsPerAddress: 1,
        fetchAddressOf: (_request, platform) => {
          platforms.push(platform);
          return (platform as { incoming: IncomingMessage }).incoming.socket.remoteAddress ?? '';
        },
      });
      const origin = await honoServer(listener);
      const first = await open(origin);
      expect(first.status).to.equal(200);
      const second = await fetchRaw(origin);
      expect([second.status, second.headers['retry-after'], second.body]).to.deep.equal([
        503,
        '5',
        'Too many connections',
      ]);
      expect(platforms).to.have.length(2);
      for (const platform of platforms) {
        expect((platform as { incoming: unknown }).incoming).to.be.an.instanceOf(IncomingMessage);
      }
    });

    it('should count requests it gives no address for (undefined) under one unknown address', async () => {
      const listener = listen(() => NEVER, {
        maxConnectionsPerAddress: 1,
        fetchAddressOf: (_request, platform) => (platform as { ip?: string }).ip,
      });
      const first = await listener.fetch(get(), {});
      expect(first.status).to.equal(200);
      expect(await refusal(await listener.fetch(get(), {}))).to.deep.equal([
        503,
        '5',
        'Too many connections',
      ]);
      const known = await listener.fetch(get(), { ip: '10.0.0.1' });
      expect(known.status).to.equal(200);
      await first.body!.cancel();
      await known.body!.cancel();
    });

    it('should answer 500 when it throws, and report it', async () => {
      const handler = sinon.spy((): Observable<SseEvent> => NEVER);
      const listener = listen(handler, {
        maxConnectionsPerAddress: 1,
        fetchAddressOf: () => {
          throw new Error('no address');
        },
      });
      const response = await listener.fetch(get());
      expect([response.status, await response.text()]).to.deep.equal([
        500,
        'Internal Server Error',
      ]);
      expect(handler.called).to.equal(false);
      expect(listener.stats).to.include({ errors: 1, refused: 1, opened: 0 });
      expect(logged.calledOnce).to.equal(true);
      expect(String(logged.firstCall.args.find((arg) => arg instanceof Error))).to.match(
        /no address/,
      );
    });
  });

  describe('what the fetch door cannot serve', () => {
    it('should throw a TypeError for a listener with compress', () => {
      const handler = sinon.spy((): Observable<SseEvent> => NEVER);
      const listener = listen(handler, { compress: true });
      expect(() => listener.fetch(get())).to.throw(TypeError, /options\.compress/);
      expect(handler.called).to.equal(false);
    });

    it('should throw a TypeError for maxConnectionsPerAddress without fetchAddressOf', () => {
      const handler = sinon.spy((): Observable<SseEvent> => NEVER);
      const listener = listen(handler, { maxConnectionsPerAddress: 2 });
      expect(() => listener.fetch(get())).to.throw(TypeError, /options\.fetchAddressOf/);
      expect(handler.called).to.equal(false);
      expect(listener.stats).to.include({ refused: 0, opened: 0 });
    });
  });

  describe('CORS', () => {
    const cors = { origin: ['https://app.example'] };

    it('should echo an allowed origin', async () => {
      const listener = listen(hold({ data: 'x' }).handler, { cors });
      const response = await listener.fetch(
        get('http://x/', { headers: { origin: 'https://app.example' } }),
      );
      expect(response.status).to.equal(200);
      expect(response.headers.get('access-control-allow-origin')).to.equal('https://app.example');
      expect(response.headers.get('vary')).to.equal('Origin');
      await response.body!.cancel();
    });

    it('should answer a preflight with 204 and the allowed methods and headers', async () => {
      const handler = sinon.spy((): Observable<SseEvent> => NEVER);
      const listener = listen(handler, { cors });
      const response = await listener.fetch(
        get('http://x/', {
          method: 'OPTIONS',
          headers: {
            origin: 'https://app.example',
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'last-event-id',
          },
        }),
      );
      expect(response.status).to.equal(204);
      expect(Object.fromEntries(response.headers)).to.deep.equal({
        'access-control-allow-origin': 'https://app.example',
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'Last-Event-ID, Authorization',
        'access-control-max-age': '600',
      });
      expect(await response.text()).to.equal('');
      expect(handler.called).to.equal(false);
    });

    it('should refuse a foreign origin with 403 without calling the handler', async () => {
      const handler = sinon.spy((): Observable<SseEvent> => NEVER);
      const listener = listen(handler, { cors });
      const response = await listener.fetch(
        get('http://x/', { headers: { origin: 'https://evil.example' } }),
      );
      expect([response.status, await response.text()]).to.deep.equal([403, 'Origin not allowed']);
      expect(response.headers.get('access-control-allow-origin')).to.equal(null);
      expect(response.headers.get('vary')).to.equal('Origin');
      expect(handler.called).to.equal(false);
      expect(listener.stats).to.include({ refused: 1, opened: 0 });
    });
  });

  describe('answers the node door would give', () => {
    const origin = 'https://app.example';
    // What each runtime manages itself, and the length each counts its own way.
    const own = new Set([
      'date',
      'connection',
      'keep-alive',
      'content-length',
      'transfer-encoding',
    ]);
    const cases: {
      name: string;
      options?: SseOptions;
      handler?: SseHandler;
      method?: string;
      headers?: Record<string, string>;
      /** One stream held open on the fetch door first. */
      full?: boolean;
    }[] = [
      { name: 'a stream', method: 'GET' },
      { name: 'HEAD, with a retry preamble', method: 'HEAD', options: { retry: 1000 } },
      {
        name: 'a preflight',
        method: 'OPTIONS',
        headers: { 'access-control-request-method': 'GET' },
      },
      { name: 'a foreign origin', headers: { origin: 'https://evil.example' } },
      { name: 'another method', method: 'POST' },
      { name: 'a full listener', options: { maxConnections: 1 }, full: true },
      {
        name: 'an HttpError',
        handler: () => {
          throw new HttpError(401, 'Sign in', { headers: { 'WWW-Authenticate': 'Bearer' } });
        },
      },
      {
        name: 'a handler that throws',
        handler: () => {
          throw new Error('bug');
        },
      },
    ];
    for (const c of cases) {
      it(`should answer ${c.name} with the status, headers and body of the node door`, async () => {
        const listener = listen(c.handler ?? hold({ data: 'x' }).handler, {
          cors: { origin: [origin] },
          headers: { 'X-Room': '7' },
          ...c.options,
        });
        const server = await startServer(listener);
        servers.push(server);
        if (c.full === true) read(await listener.fetch(get('http://x/', { headers: { origin } })));
        const headers = { origin, ...c.headers };
        const method = c.method ?? 'GET';
        const node = await new Promise<{
          status: number;
          headers: [string, string][];
          body: string;
        }>((resolve, reject) => {
          const req = request(server.origin, { method, headers }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              body += chunk;
              // A stream's first event is enough.
              if (method === 'GET' && res.statusCode === 200) res.destroy();
            });
            res.on('close', () => {
              resolve({
                status: res.statusCode ?? 0,
                headers: Object.entries(res.headers)
                  .filter(([name]) => !own.has(name))
                  .map(([name, value]) => [name, String(value)] as [string, string])
                  .sort(),
                body,
              });
            });
          });
          req.on('error', reject);
          req.end();
        });
        const response = await listener.fetch(get('http://x/', { method, headers }));
        const fetched = {
          status: response.status,
          headers: [...response.headers].filter(([name]) => !own.has(name)).sort(),
          body: '',
        };
        if (method === 'GET' && response.status === 200) {
          const body = read(response);
          await waitFor(() => body.text !== '', 'the first event');
          fetched.body = body.text;
        } else fetched.body = await response.text();
        expect(fetched).to.deep.equal(node);
        expect(node.headers.length).to.be.above(2);
      });
    }
  });

  describe('the client leaving', () => {
    it('should tear the Observable down and abort ctx.signal when the body is cancelled', async () => {
      let ctx: SseContext | undefined;
      const { handler, finalized } = hold({ data: 'x' });
      const onDisconnect = sinon.spy();
      const listener = listen(
        (context) => {
          ctx = context;
          return handler(context);
        },
        { onDisconnect },
      );
      const response = await listener.fetch(get());
      const reader = response.body!.getReader();
      const { value } = await reader.read();
      expect(new TextDecoder().decode(value)).to.equal('data: x\n\n');
      expect([finalized(), ctx?.signal.aborted]).to.deep.equal([0, false]);
      await reader.cancel();
      expect([finalized(), ctx?.signal.aborted]).to.deep.equal([1, true]);
      expect(onDisconnect.calledOnceWith(ctx, 'client')).to.equal(true);
      expect(listener.stats.open).to.equal(0);
    });

    it('should not call the handler for a request whose signal aborted already, and still answer', async () => {
      const handler = sinon.spy((): Observable<SseEvent> => NEVER);
      const listener = listen(handler);
      const response = await listener.fetch(get('http://x/', { signal: AbortSignal.abort() }));
      expect(response.body).to.equal(null);
      expect(handler.called).to.equal(false);
      expect(listener.stats).to.include({ open: 0, opened: 0 });
    });

    it("should answer, abort ctx.signal and subscribe nothing when the request's signal aborts while the handler works", async () => {
      let ctx: SseContext | undefined;
      let resolve: (stream: Observable<SseEvent>) => void = () => undefined;
      const handed = new Promise<Observable<SseEvent>>((r) => (resolve = r));
      const { handler, finalized } = hold({ data: 'x' });
      let returned: Promise<Observable<SseEvent>> | undefined;
      const listener = listen((context) => {
        ctx = context;
        return (returned = handed.then(() => handler(context)));
      });
      const controller = new AbortController();
      const answer = listener.fetch(get('http://x/', { signal: controller.signal }));
      controller.abort();
      const response = await answer;
      expect(response.body).to.equal(null);
      expect(ctx?.signal.aborted).to.equal(true);
      resolve(NEVER);
      // Once what the handler returned settles, rx-sse, which took it first, has acted on it.
      await returned;
      expect(finalized()).to.equal(0);
      expect(listener.stats).to.include({ open: 0, opened: 0 });
    });

    it("should tear the Observable down and abort ctx.signal when the request's signal aborts", async () => {
      let ctx: SseContext | undefined;
      const { handler, finalized } = hold({ data: 'x' });
      const listener = listen((context) => {
        ctx = context;
        return handler(context);
      });
      const controller = new AbortController();
      const response = await listener.fetch(get('http://x/', { signal: controller.signal }));
      expect(response.status).to.equal(200);
      expect([finalized(), ctx?.signal.aborted]).to.deep.equal([0, false]);
      controller.abort();
      await waitFor(() => finalized() === 1, 'the teardown');
      expect(ctx?.signal.aborted).to.equal(true);
      expect(listener.stats.open).to.equal(0);
    });

    it('should tear the Observable down when a client of @hono/node-server cuts the connection', async () => {
      let ctx: SseContext | undefined;
      const { handler, finalized } = hold({ data: 'x' });
      const listener = listen((context) => {
        ctx = context;
        return handler(context);
      });
      const { fetch } = await both(listener);
      const stream = await open(fetch);
      await waitFor(() => stream.events.length === 1, 'the event');
      expect(finalized()).to.equal(0);
      stream.close();
      await waitFor(() => finalized() === 1, 'the teardown');
      expect(ctx?.signal.aborted).to.equal(true);
      expect(listener.stats.open).to.equal(0);
    });
  });

  describe('a reader that falls behind', () => {
    // Frames of 20 bytes, one a turn, and a bound of 40: two fit unread, the third does not.
    const frame = (i: number): SseEvent => ({ data: `event-${String(i).padStart(6, '0')}` });
    const bytes = 'data: event-000000\n\n'.length;

    it("should skip what does not fit under 'drop', and resume once the body is read", async () => {
      expect(bytes).to.equal(20);
      const events = new Subject<SseEvent>();
      const listener = listen(() => events, { maxBufferedBytes: 2 * bytes, onSlowClient: 'drop' });
      const response = await listener.fetch(get());
      for (let i = 0; i < 3; i++) {
        events.next(frame(i));
        await new Promise((resolve) => setImmediate(resolve));
      }
      // The first is in the body's queue; the second waits in the writer for room (a write is
      // counted once handed over); the third would take what is owed past the bound.
      expect(listener.stats).to.include({ events: 1, dropped: 1 });
      const body = read(response);
      await waitFor(() => body.text.length === 2 * bytes, 'the two frames that fit');
      // Read up to date, and a read waiting: room again.
      events.next(frame(3));
      events.complete();
      await body.ended;
      expect(body.text).to.equal(
        'data: event-000000\n\ndata: event-000001\n\ndata: event-000003\n\n',
      );
      expect(listener.stats).to.include({ events: 3, dropped: 1, closedSlow: 0 });
    });

    it("should fail the body and let the source go under 'close'", async () => {
      let unsubscribed = 0;
      const events = new Subject<SseEvent>();
      const listener = listen(
        () =>
          events.pipe(
            finalize(() => {
              unsubscribed++;
            }),
          ),
        { maxBufferedBytes: 2 * bytes },
      );
      const response = await listener.fetch(get());
      for (let i = 0; i < 2; i++) {
        events.next(frame(i));
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(unsubscribed).to.equal(0);
      events.next(frame(2));
      expect(unsubscribed).to.equal(1);
      let failure: unknown;
      await response
        .body!.getReader()
        .read()
        .catch((error: unknown) => (failure = error));
      expect(String(failure)).to.match(/fell more than maxBufferedBytes \(40\) behind/);
      expect(listener.stats).to.include({ open: 0, closedSlow: 1, events: 1 });
    });
  });

  describe('chunks', () => {
    it('should give each body its own chunk: one reader transferring its chunk away costs another body nothing', async () => {
      // A reader owns the chunks it is given (WHATWG Streams): it may transfer their buffers, as
      // structuredClone or postMessage with a transfer list do. Two bodies of one source, in one
      // turn: `a` is read at once and its chunk transferred; `b` reads its own afterwards.
      const events = new Subject<SseEvent>();
      const listener = listen(() => events);
      const a = (await listener.fetch(get('http://x/a'))).body!.getReader();
      const b = (await listener.fetch(get('http://x/b'))).body!.getReader();
      const reading = a.read();
      events.next({ data: 'x' });
      const { value } = await reading;
      expect(new TextDecoder().decode(value)).to.equal('data: x\n\n');
      structuredClone(value!, { transfer: [value!.buffer] });
      const { value: other } = await b.read();
      expect(new TextDecoder().decode(other)).to.equal('data: x\n\n');
      await a.cancel();
      await b.cancel();
    });
  });

  describe('per-address counting', () => {
    it('should give the address back when a handler refuses', async () => {
      let calls = 0;
      const listener = listen(
        () =>
          ++calls === 1 ? Promise.reject(new HttpError(401)) : concat(of({ data: 'x' }), NEVER),
        { maxConnectionsPerAddress: 1, fetchAddressOf: () => 'a' },
      );
      const refused = await listener.fetch(get());
      expect(refused.status).to.equal(401);
      const response = await listener.fetch(get());
      expect(response.status).to.equal(200);
      await response.body!.cancel();
    });
  });

  describe('hooks', () => {
    /** A stream of one event that then ends as `end` says, and how its client acts. */
    const endings: {
      reason: string;
      source: () => Observable<SseEvent>;
      act: (
        listener: SseListener,
        body: ReadableStreamDefaultReader<Uint8Array>,
      ) => Promise<unknown>;
      options?: SseOptions;
    }[] = [
      {
        reason: 'complete',
        source: () => concat(of({ data: 'x' }), timer(1).pipe(map(() => ({ data: 'y' })))),
        act: async (_listener, body) => {
          while (!(await body.read()).done);
        },
      },
      {
        reason: 'error',
        source: () =>
          concat(
            of({ data: 'x' }),
            timer(1).pipe(
              map(() => {
                throw new Error('boom');
              }),
            ),
          ),
        act: async (_listener, body) => {
          while (!(await body.read()).done);
        },
        options: { onError: () => undefined },
      },
      {
        reason: 'client',
        source: () => concat(of({ data: 'x' }), NEVER),
        act: (_l, body) => body.cancel(),
      },
      {
        reason: 'shutdown',
        source: () => concat(of({ data: 'x' }), NEVER),
        act: (listener, body) =>
          Promise.all([
            listener.close(),
            (async () => {
              while (!(await body.read()).done);
            })(),
          ]),
      },
      {
        reason: 'slow',
        source: () =>
          concat(of({ data: 'x' }), timer(1).pipe(map(() => ({ data: 'y'.repeat(100) })))),
        act: (_listener, body) => body.read().catch(() => undefined),
        options: { maxBufferedBytes: 50 },
      },
    ];
    for (const { reason, source, act, options } of endings) {
      it(`should call onConnect, then onDisconnect with '${reason}', and abort ctx.signal`, async () => {
        const calls: string[] = [];
        let ctx: SseContext | undefined;
        const listener = listen(
          (context) => {
            ctx = context;
            calls.push('handler');
            return source();
          },
          {
            onConnect: (c) => calls.push(c === ctx ? 'connect' : 'connect?'),
            onDisconnect: (c, why) =>
              calls.push(`${c === ctx ? 'disconnect' : 'disconnect?'} ${why}`),
            ...options,
          },
        );
        const response = await listener.fetch(get());
        expect(calls).to.deep.equal(['handler', 'connect']);
        // Its first event is not read, for 'slow': the next one takes it past the bound.
        const body = response.body!.getReader();
        if (reason !== 'slow') await body.read();
        await act(listener, body);
        await waitFor(() => calls.length === 3, 'onDisconnect');
        expect(calls).to.deep.equal(['handler', 'connect', `disconnect ${reason}`]);
        expect(ctx?.signal.aborted).to.equal(true);
      });
    }
  });

  describe('the context', () => {
    it('should hand the Request itself as ctx.request, and no ctx.req, on the fetch door', async () => {
      let ctx: SseContext | undefined;
      const listener = listen((context) => {
        ctx = context;
        return of({ data: context.request.headers.get('authorization') ?? 'none' });
      });
      const request = get('http://x/path?room=1', { headers: { authorization: 'Bearer t' } });
      const response = await listener.fetch(request);
      expect(await response.text()).to.equal('data: Bearer t\n\n');
      expect(ctx?.request).to.equal(request);
      expect(ctx?.req).to.equal(undefined);
      expect(ctx?.url.href).to.equal('http://x/path?room=1');
    });

    it('should abort ctx.request.signal on the node door when the client leaves', async () => {
      let ctx: SseContext | undefined;
      const { handler, finalized } = hold({ data: 'x' });
      const listener = listen((context) => {
        ctx = context;
        return handler(context);
      });
      const { node } = await both(listener);
      const stream = await open(node);
      await waitFor(() => stream.events.length === 1, 'the event');
      const signal = ctx!.request.signal;
      expect(signal.aborted).to.equal(false);
      stream.close();
      await waitFor(() => finalized() === 1, 'the teardown');
      expect(signal.aborted).to.equal(true);
    });

    it("should read the node request's headers through ctx.request on the node door", async () => {
      let ctx: SseContext | undefined;
      const listener = listen((context) => {
        ctx = context;
        return of({ data: context.request.headers.get('authorization') ?? 'none' });
      });
      const { node } = await both(listener);
      const res = await fetchRaw(`${node}/path?room=1`, { authorization: 'Bearer t' });
      expect(res.body).to.equal('data: Bearer t\n\n');
      expect(ctx?.req).to.be.an.instanceOf(IncomingMessage);
      expect(ctx?.request).to.be.an.instanceOf(Request);
      expect(ctx?.request.url).to.equal(`${node}/path?room=1`);
      expect(ctx?.request.method).to.equal('GET');
    });
  });
});
