import { expect } from 'chai';
import { request as httpsRequest } from 'node:https';
import {
  connect,
  constants,
  createSecureServer,
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type Http2SecureServer,
  type IncomingHttpHeaders,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { finalize, interval, map, NEVER, of, Subject } from 'rxjs';
import { generate } from 'selfsigned';
import { HttpError, sse, type SseContext, type SseEvent, type SseHandler } from 'rx-sse';
import { parseEvents, waitFor } from './support/server.js';

interface Pems {
  key: string;
  cert: string;
}

/** A stream on an HTTP/2 session, read as text as it comes. */
interface Stream2 {
  stream: ClientHttp2Stream;
  headers: Promise<IncomingHttpHeaders>;
  text(): string;
  ended: Promise<void>;
}

function open(
  session: ClientHttp2Session,
  path = '/',
  headers: Record<string, string> = {},
): Stream2 {
  const stream = session.request({ ':path': path, ...headers });
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  const headersPromise = new Promise<IncomingHttpHeaders>((resolve, reject) => {
    stream.once('response', resolve);
    stream.once('error', reject);
  });
  const ended = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  return { stream, headers: headersPromise, text: () => text, ended };
}

describe('sse() on node:http2 (secure server, compat API)', function () {
  let pems: Pems;
  let server: Http2SecureServer | undefined;
  let session: ClientHttp2Session | undefined;
  let sessions = 0;

  before(async function () {
    this.timeout(30_000);
    // A fresh self-signed certificate, made here: nothing is read from disk or downloaded.
    const made = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
    });
    pems = { key: made.private, cert: made.cert };
  });

  afterEach(async function () {
    session?.destroy();
    session = undefined;
    const closing = server;
    server = undefined;
    if (closing !== undefined) await new Promise((resolve) => closing.close(resolve));
  });

  async function serve(handler: SseHandler, options: Parameters<typeof sse>[1] = {}) {
    const listener = sse(handler, options);
    server = createSecureServer({ ...pems, allowHTTP1: true }, listener);
    sessions = 0;
    server.on('session', () => sessions++);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const origin = `https://127.0.0.1:${port}`;
    session = connect(origin, { rejectUnauthorized: false });
    return { listener, origin, session };
  }

  it('serves many streams on one connection, with no connection-specific headers', async function () {
    const { session } = await serve((ctx) =>
      interval(5).pipe(
        map((i) => ({ event: ctx.url.searchParams.get('name') ?? '', data: i, id: i })),
      ),
    );
    const streams = ['a', 'b', 'c', 'd', 'e'].map((name) => open(session, `/?name=${name}`));
    const heads = await Promise.all(streams.map((s) => s.headers));
    for (const head of heads) {
      expect(head[':status']).to.equal(200);
      expect(head['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(head['cache-control']).to.equal('no-cache, no-transform');
      for (const name of ['connection', 'keep-alive', 'transfer-encoding', 'upgrade']) {
        expect(head, name).not.to.have.property(name);
      }
    }
    await waitFor(
      () => streams.every((s) => parseEvents(s.text()).length >= 5),
      'five events on every stream',
    );
    streams.forEach((s, index) => {
      const events = parseEvents(s.text()).slice(0, 5);
      expect(events.map((e) => e.event)).to.deep.equal(Array(5).fill('abcde'[index]));
      expect(events.map((e) => e.data)).to.deep.equal(['0', '1', '2', '3', '4']);
    });
    expect(sessions).to.equal(1);
  });

  it('tears down only the stream the client closed', async function () {
    const torn: string[] = [];
    const contexts = new Map<string, SseContext>();
    const { listener, session } = await serve((ctx) => {
      const name = ctx.url.searchParams.get('name') ?? '';
      contexts.set(name, ctx);
      return interval(5).pipe(
        map((i) => ({ data: `${name}${i}` })),
        finalize(() => torn.push(name)),
      );
    });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => open(session, `/?name=${name}`)) as [
      Stream2,
      Stream2,
      Stream2,
    ];
    await Promise.all([a, b, c].map((s) => s.headers));
    await waitFor(() => listener.stats.open === 3, 'three open streams');
    b.stream.close(constants.NGHTTP2_CANCEL);
    await waitFor(() => torn.length === 1, 'the closed stream torn down');
    expect(torn).to.deep.equal(['b']);
    expect(contexts.get('b')?.signal.aborted).to.equal(true);
    expect(contexts.get('a')?.signal.aborted).to.equal(false);
    expect(listener.stats.open).to.equal(2);
    // The others go on, on the same connection.
    const before = [a, c].map((s) => parseEvents(s.text()).length);
    await waitFor(
      () => [a, c].every((s, i) => parseEvents(s.text()).length > (before[i] ?? 0) + 3),
      'the other streams still receiving',
    );
    expect(session.closed).to.equal(false);
    expect(torn).to.deep.equal(['b']);
  });

  it('passes Last-Event-ID and refuses with an HttpError, connection headers dropped', async function () {
    const { session } = await serve((ctx) => {
      if (ctx.lastEventId === undefined) {
        throw new HttpError(401, 'who are you', {
          headers: {
            'WWW-Authenticate': 'Bearer',
            Connection: 'close',
            'Keep-Alive': 'x',
            TE: 'gzip',
            'HTTP2-Settings': 'x',
          },
        });
      }
      return of({ data: `after ${ctx.lastEventId} at ${ctx.url.href}` });
    });
    const refused = open(session, '/');
    const head = await refused.headers;
    await refused.ended;
    expect(head[':status']).to.equal(401);
    expect(head['www-authenticate']).to.equal('Bearer');
    expect(head).not.to.have.property('connection');
    expect(head).not.to.have.property('keep-alive');
    expect(refused.text()).to.equal('who are you');
    const resumed = open(session, '/', { 'last-event-id': '41' });
    await resumed.ended;
    // The URL's host is the request's `:authority`, as `Host` is on HTTP/1.
    const { port } = server?.address() as AddressInfo;
    expect(parseEvents(resumed.text()).map((e) => e.data)).to.deep.equal([
      `after 41 at https://127.0.0.1:${port}/`,
    ]);
  });

  it('shuts down: open streams get the last event, new ones a 503, the session survives', async function () {
    const { listener, session } = await serve(() => NEVER, { heartbeat: false });
    const streams = [open(session), open(session)];
    await Promise.all(streams.map((s) => s.headers));
    const closed = listener.close({ lastEvent: { event: 'bye', data: 'later' }, timeout: 2000 });
    await Promise.all(streams.map((s) => s.ended));
    await closed;
    for (const s of streams) {
      expect(parseEvents(s.text()).map((e) => e.event)).to.deep.equal(['bye']);
    }
    // node warns of (and drops) a Connection header on HTTP/2: the 503 must not carry one.
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    const late = open(session);
    const head = await late.headers;
    await late.ended;
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings).to.deep.equal([]);
    expect(head[':status']).to.equal(503);
    expect(head['retry-after']).to.equal('5');
    expect(head).not.to.have.property('connection');
    expect(session.closed).to.equal(false);
  });

  it('cuts a stream that does not read past maxBufferedBytes, and only that one', async function () {
    const source = new Subject<SseEvent>();
    const { listener, session } = await serve(() => source, {
      maxBufferedBytes: 256 * 1024,
      heartbeat: false,
    });
    const stalled = open(session, '/?stalled');
    const reading = open(session, '/?reading');
    await Promise.all([stalled.headers, reading.headers]);
    stalled.stream.pause();
    const chunk = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 200 && listener.stats.closedSlow === 0; i++) {
      source.next({ data: chunk });
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => listener.stats.closedSlow === 1, 'the stalled stream cut');
    expect(listener.stats.open).to.equal(1);
    source.next({ data: 'still here' });
    await waitFor(() => reading.text().includes('data: still here'), 'the reading stream going on');
    expect(session.closed).to.equal(false);
  });

  it('still serves HTTP/1.1 clients of the same server (allowHTTP1), with keep-alive', async function () {
    const { origin } = await serve(() => of({ data: 'over 1.1' }));
    const { headers, body } = await new Promise<{ headers: IncomingHttpHeaders; body: string }>(
      (resolve, reject) => {
        httpsRequest(origin, { rejectUnauthorized: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ headers: res.headers, body }));
        })
          .on('error', reject)
          .end();
      },
    );
    expect(headers.connection).to.equal('keep-alive');
    expect(parseEvents(body).map((e) => e.data)).to.deep.equal(['over 1.1']);
  });

  it('refuses connection-specific headers in options.headers, naming the header', function () {
    for (const name of [
      'Connection',
      'Keep-Alive',
      'transfer-encoding',
      'Upgrade',
      'TE',
      'HTTP2-Settings',
    ]) {
      expect(() => sse(() => NEVER, { headers: { [name]: 'x' } }), name).to.throw(
        TypeError,
        `options.headers must not set ${name}`,
      );
    }
  });
});
