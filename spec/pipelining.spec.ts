import { expect } from 'chai';
import express from 'express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createConnection, type Socket } from 'node:net';
import { startWith, Subject, type Observable } from 'rxjs';
import { sse, type SseContext, type SseEvent, type SseOptions } from 'rx-sse';
import { openStream, startServer, waitFor, type TestServer } from './support/server.js';

/** A raw client that sent its GETs pipelined, in one write, on one connection. */
interface Pipelined {
  /** Every byte received so far, as text: the responses one after the other. */
  readonly text: string;
  /** The status lines received so far, in order. */
  statuses(): string[];
  /** Resolves when the connection has closed. */
  closed: Promise<void>;
  socket: Socket;
}

function pipeline(origin: string, paths: string[]): Promise<Pipelined> {
  const socket = createConnection(Number(new URL(origin).port), '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.write(paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`).join(''));
      resolve({
        get text() {
          return text;
        },
        statuses: () => text.match(/^HTTP\/1\.1 \d{3} .*(?=\r$)/gm) ?? [],
        closed,
        socket,
      });
    });
  });
}

/** `/0`, `/1`, … */
function paths(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `/${i}`);
}

describe('sse with pipelined requests', () => {
  let server: TestServer | undefined;
  /** Each request node emitted, in order, seen after the listener has been called for it. */
  let requests: { req: IncomingMessage; res: ServerResponse }[];
  /** The connections the server accepted. */
  let sockets: Socket[];
  /** The paths the handler was called for, in order. */
  let calls: string[];
  /** The stream of each path the handler was called for: its first event is the path. */
  let streams: Map<string, Subject<SseEvent>>;
  /** The socket's 'close' listeners as each handler call found them. */
  let closeListeners: number[];
  /** The signal of each handler call's context. */
  let signals: AbortSignal[];

  function handler(ctx: SseContext): Observable<SseEvent> {
    const path = ctx.url.pathname;
    calls.push(path);
    closeListeners.push(ctx.req?.socket.listenerCount('close') ?? -1);
    signals.push(ctx.signal);
    const stream = new Subject<SseEvent>();
    streams.set(path, stream);
    return stream.pipe(startWith({ data: path }));
  }

  async function serve(options: SseOptions = {}): Promise<ReturnType<typeof sse>> {
    const listener = sse(handler, { heartbeat: false, ...options });
    server = await startServer(listener);
    watch(server.server);
    return listener;
  }

  function watch(http: Server): void {
    http.on('request', (req: IncomingMessage, res: ServerResponse) => requests.push({ req, res }));
    http.on('connection', (socket: Socket) => sockets.push(socket));
  }

  beforeEach(() => {
    requests = [];
    sockets = [];
    calls = [];
    streams = new Map();
    closeListeners = [];
    signals = [];
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('should call the handler for one request at a time, holding nothing for those that wait', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const listener = await serve();
      // One served and 16 waiting, as many as may wait on a connection.
      const client = await pipeline(server!.origin, paths(17));
      // node parses all 17 at once and emits 'request' for each, the listener called first.
      await waitFor(() => requests.length === 17, 'node to emit all 17 requests');
      await waitFor(() => client.text.includes('data: /0\n\n'), "the first stream's event");
      expect(calls).to.deep.equal(['/0']);
      expect(sockets[0]!.listenerCount('close')).to.equal(closeListeners[0]);
      expect(warnings.map((warning) => warning.name)).to.deep.equal([]);
      expect(listener.stats).to.deep.include({ open: 1, opened: 1, refused: 0, events: 1 });

      streams.get('/0')!.next({ data: 'more' });
      streams.get('/0')!.complete();
      await waitFor(() => client.text.includes('data: /1\n\n'), "the second stream's event");
      expect(calls).to.deep.equal(['/0', '/1']);
      expect(client.statuses()).to.deep.equal(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      // The first response, whole, before the second: its last event, then its end.
      const second = client.text.indexOf('HTTP/1.1 200 OK', 1);
      expect(client.text.slice(0, second)).to.match(/data: more\n\n\r\n0\r\n\r\n$/);
      expect(listener.stats).to.deep.include({ open: 1, opened: 2, refused: 0, events: 3 });
      expect(sockets[0]!.listenerCount('close')).to.equal(closeListeners[1]);
      expect(warnings.map((warning) => warning.name)).to.deep.equal([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('should drop the requests still waiting when the client leaves, having counted none of them', async () => {
    // One stream per address: a waiting request that held a place would keep out the next one.
    const listener = await serve({ maxConnectionsPerAddress: 1 });
    const client = await pipeline(server!.origin, paths(5));
    await waitFor(() => requests.length === 5, 'node to emit all 5 requests');
    await waitFor(() => client.text.includes('data: /0\n\n'), "the first stream's event");
    const aborted = requests.map(
      ({ req }) => new Promise<void>((resolve) => req.once('close', () => resolve())),
    );
    const gone = new Promise<void>((resolve) => sockets[0]!.once('close', () => resolve()));
    client.socket.destroy();
    await Promise.all([...aborted, gone]);
    expect(calls).to.deep.equal(['/0']);
    expect([streams.get('/0')!.observed, signals[0]!.aborted]).to.deep.equal([false, true]);
    expect(listener.stats).to.deep.include({
      open: 0,
      opened: 1,
      refused: 0,
      events: 1,
      errors: 0,
    });
    for (const { req, res } of requests.slice(1)) {
      expect([req.listenerCount('close'), res.listenerCount('socket')]).to.deep.equal([0, 0]);
    }
    const next = await openStream(`${server!.origin}/next`);
    expect(next.status).to.equal(200);
    expect(calls).to.deep.equal(['/0', '/next']);
    next.close();
  });

  it('should destroy the connection when a 17th request would wait, dropping those that wait', async () => {
    const listener = await serve();
    const client = await pipeline(server!.origin, paths(18));
    let gone = false;
    void client.closed.then(() => (gone = true));
    await waitFor(() => gone, 'the connection to close');
    // node emitted them all in the one read, the 18th destroying the connection, then aborted each.
    await waitFor(() => requests.length === 18, 'node to emit all 18 requests');
    await waitFor(() => requests.every(({ req }) => req.closed), 'node to abort every request');
    // The first was served until the connection went; no other handler was called.
    expect(calls).to.deep.equal(['/0']);
    expect(signals[0]!.aborted).to.equal(true);
    expect(listener.stats).to.deep.include({ open: 0, opened: 1, refused: 0, errors: 0 });
    for (const { req, res } of requests.slice(1)) {
      expect([req.listenerCount('close'), res.listenerCount('socket')]).to.deep.equal([0, 0]);
    }
    // Other connections are not affected.
    const next = await openStream(`${server!.origin}/next`);
    expect(next.status).to.equal(200);
    next.close();
  });

  it('should hold a waiting request to the limits as they stand when its turn comes', async () => {
    const listener = await serve({ maxConnections: 1, maxConnectionsPerAddress: 1 });
    const client = await pipeline(server!.origin, paths(2));
    await waitFor(() => requests.length === 2, 'node to emit both requests');
    await waitFor(() => client.text.includes('data: /0\n\n'), "the first stream's event");
    streams.get('/0')!.complete();
    await waitFor(() => client.text.includes('data: /1\n\n'), "the second stream's event");
    expect(client.statuses()).to.deep.equal(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(listener.stats).to.deep.include({ open: 1, opened: 2, refused: 0 });
  });

  it('should still wait for its turn when its body was read meanwhile, which closes the request', async () => {
    const listener = sse(handler, { heartbeat: false });
    // As a body parser would: node closes a request once its body is read, the connection alive.
    server = await startServer((req, res) => {
      req.resume();
      listener(req, res);
    });
    watch(server.server);
    const client = await pipeline(server.origin, paths(2));
    await waitFor(() => requests.length === 2, 'node to emit both requests');
    await waitFor(() => requests[1]!.req.closed, 'the waiting request to close');
    expect(calls).to.deep.equal(['/0']);
    streams.get('/0')!.complete();
    await waitFor(() => client.text.includes('data: /1\n\n'), "the second stream's event");
    expect(calls).to.deep.equal(['/0', '/1']);
  });

  it('should wait the same behind Express, which hands over its own req and res', async () => {
    const listener = sse(handler, { heartbeat: false });
    let reached = 0;
    const app = express();
    app.get('/:n', (req, res, next) => {
      listener(req, res, next);
      reached++;
    });
    server = await startServer(app);
    watch(server.server);
    const client = await pipeline(server.origin, paths(3));
    await waitFor(() => reached === 3, 'Express to call the listener for all 3 requests');
    await waitFor(() => client.text.includes('data: /0\n\n'), "the first stream's event");
    expect(calls).to.deep.equal(['/0']);
    streams.get('/0')!.complete();
    await waitFor(() => client.text.includes('data: /1\n\n'), "the second stream's event");
    expect(calls).to.deep.equal(['/0', '/1']);
    expect(listener.stats).to.deep.include({ open: 1, opened: 2 });
  });

  it('should answer 503 to a waiting request once close() has ended the stream before it', async () => {
    const listener = await serve();
    const client = await pipeline(server!.origin, paths(3));
    await waitFor(() => requests.length === 3, 'node to emit all 3 requests');
    await waitFor(() => client.text.includes('data: /0\n\n'), "the first stream's event");
    await listener.close({ lastEvent: { event: 'bye' } });
    await client.closed;
    expect(calls).to.deep.equal(['/0']);
    // The 503 says `Connection: close`: node sends it and closes, leaving the third unanswered.
    expect(client.statuses()).to.deep.equal([
      'HTTP/1.1 200 OK',
      'HTTP/1.1 503 Service Unavailable',
    ]);
    expect(client.text).to.include('event: bye\n\n');
    expect(client.text).to.match(/\r\nConnection: close\r\n[^]*Shutting down$/);
    expect(listener.stats).to.deep.include({ open: 0, opened: 1, refused: 1 });
  });
});
