import { expect } from 'chai';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import {
  concat,
  finalize,
  interval,
  map,
  NEVER,
  Observable,
  of,
  range,
  Subject,
  take,
  tap,
  throwError,
} from 'rxjs';
import sinon from 'sinon';
import { HttpError, toResponse, type ResponseContext, type SseEvent } from 'rx-sse';
import { createChannel } from 'rx-sse/channel';
import {
  fetchRaw,
  openStream,
  parseEvents,
  startServer,
  waitFor,
  type TestServer,
} from './support/server.js';

/** Reads a body chunk by chunk, as text, until it ends. */
async function readChunks(response: Response): Promise<string[]> {
  const chunks: string[] = [];
  const reader = response.body?.getReader();
  if (reader === undefined) throw new Error('no body');
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(decoder.decode(value));
  }
}

describe('toResponse()', function () {
  describe('served by Hono on node (@hono/node-server)', function () {
    let server: TestServer | undefined;
    afterEach(async function () {
      await server?.close();
      server = undefined;
    });

    async function serveHono(app: Hono): Promise<string> {
      const listener = getRequestListener(app.fetch);
      server = await startServer((req, res) => void listener(req, res));
      return server.origin;
    }

    it('streams the events with the SSE head, and ends when the Observable completes', async function () {
      const app = new Hono();
      app.get('/counter', (c) =>
        toResponse(
          interval(5).pipe(
            take(5),
            map((i) => ({ event: 'counter', id: i, data: { i } })),
          ),
          { request: c.req.raw, retry: 1500, headers: { 'X-Room': 'lobby' } },
        ),
      );
      app.get('/other', (c) => c.json({ ok: true }));
      const origin = await serveHono(app);
      const { status, headers, body } = await fetchRaw(`${origin}/counter`);
      expect(status).to.equal(200);
      expect(headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(headers['cache-control']).to.equal('no-cache, no-transform');
      expect(headers['x-accel-buffering']).to.equal('no');
      expect(headers['x-room']).to.equal('lobby');
      expect(headers).not.to.have.property('content-length');
      expect(body.startsWith('retry: 1500\n\n')).to.equal(true);
      const events = parseEvents(body);
      expect(events.map((e) => [e.event, e.id, e.data])).to.deep.equal(
        [0, 1, 2, 3, 4].map((i) => ['counter', String(i), `{"i":${i}}`]),
      );
      expect((await fetchRaw(`${origin}/other`)).body).to.equal('{"ok":true}');
    });

    it('unsubscribes and aborts ctx.signal when the client goes away', async function () {
      let ctx: ResponseContext | undefined;
      const finalized = sinon.spy();
      const app = new Hono();
      app.get('/live', (c) =>
        toResponse(
          (context) => {
            ctx = context;
            return interval(5).pipe(
              map((i) => ({ data: i })),
              finalize(finalized),
            );
          },
          { request: c.req.raw },
        ),
      );
      const origin = await serveHono(app);
      const stream = await openStream(`${origin}/live`);
      await waitFor(() => stream.events.length >= 3, 'three events');
      expect(finalized.called).to.equal(false);
      stream.close();
      await waitFor(() => finalized.called, 'the subscription torn down');
      expect(ctx?.signal.aborted).to.equal(true);
      expect(finalized.callCount).to.equal(1);
    });

    it('replays a channel from Last-Event-ID, header or query', async function () {
      const channel = createChannel();
      const ids = ['a', 'b', 'c', 'd'].map((data) => channel.send(data));
      const app = new Hono();
      app.get('/events', (c) =>
        toResponse((ctx) => channel.stream(ctx), { request: c.req.raw, heartbeat: false }),
      );
      const origin = await serveHono(app);
      const byHeader = await openStream(`${origin}/events`, { 'Last-Event-ID': ids[1] ?? '' });
      const byQuery = await openStream(`${origin}/events?lastEventId=${ids[2] ?? ''}`);
      await waitFor(
        () => byHeader.events.length === 2 && byQuery.events.length === 1,
        'the missed events',
      );
      channel.send('e');
      await waitFor(() => byQuery.events.length === 2, 'the live event');
      channel.complete();
      await Promise.all([byHeader.ended, byQuery.ended]);
      expect(byHeader.events.map((e) => e.data)).to.deep.equal(['c', 'd', 'e']);
      expect(byQuery.events.map((e) => e.data)).to.deep.equal(['d', 'e']);
    });

    it('answers a refusal with its status, and any other failure with a 500 that says nothing', async function () {
      const onError = sinon.spy();
      const app = new Hono();
      app.get('/private', (c) =>
        toResponse(
          async () => {
            await Promise.resolve();
            throw new HttpError(401, 'Sign in first', {
              headers: { 'WWW-Authenticate': 'Bearer' },
            });
          },
          { request: c.req.raw, onError, headers: { 'Access-Control-Allow-Origin': '*' } },
        ),
      );
      app.get('/broken', (c) =>
        toResponse(() => throwError(() => new Error('secret detail')), {
          request: c.req.raw,
          onError,
        }),
      );
      const origin = await serveHono(app);
      const refused = await fetchRaw(`${origin}/private`);
      expect(refused.status).to.equal(401);
      expect(refused.body).to.equal('Sign in first');
      expect(refused.headers['www-authenticate']).to.equal('Bearer');
      expect(refused.headers['access-control-allow-origin']).to.equal('*');
      expect(onError.called).to.equal(false);
      const broken = await fetchRaw(`${origin}/broken`);
      expect(broken.status).to.equal(500);
      expect(broken.body).not.to.contain('secret');
      expect(onError.callCount).to.equal(1);
      expect((onError.firstCall.args[0] as Error).message).to.equal('secret detail');
    });
  });

  describe('the body', function () {
    it('joins the events of one turn into one chunk', async function () {
      const source = new Subject<SseEvent>();
      const response = await toResponse(source, { heartbeat: false });
      const chunks = readChunks(response);
      source.next({ data: 'one' });
      source.next({ data: 'two' });
      source.next({ data: 'three' });
      await new Promise((resolve) => setImmediate(resolve));
      source.next({ data: 'four' });
      source.complete();
      expect(await chunks).to.deep.equal([
        'data: one\n\ndata: two\n\ndata: three\n\n',
        'data: four\n\n',
      ]);
    });

    it('sends a heartbeat comment when idle', async function () {
      const source = new Subject<SseEvent>();
      const response = await toResponse(source, { heartbeat: 20 });
      const chunks = readChunks(response);
      await new Promise((resolve) => setTimeout(resolve, 70));
      source.complete();
      const text = (await chunks).join('');
      expect(text).to.match(/^(:\n\n){2,}$/);
    });

    it('tears the stream down when the body is cancelled', async function () {
      const finalized = sinon.spy();
      let signal: AbortSignal | undefined;
      const response = await toResponse((ctx) => {
        signal = ctx.signal;
        return NEVER.pipe(finalize(finalized));
      });
      expect(finalized.called).to.equal(false);
      await response.body?.cancel();
      expect(finalized.callCount).to.equal(1);
      expect(signal?.aborted).to.equal(true);
    });

    it('ends a stream that errors after the head with the event onError returns', async function () {
      const response = await toResponse(
        concat(
          of({ data: 'first' }),
          throwError(() => new Error('lost the feed')),
        ),
        {
          heartbeat: false,
          onError: (error) => ({ event: 'error', data: (error as Error).message }),
        },
      );
      // An error within subscribe() is a status, as with sse(), even after a synchronous event.
      expect(response.status).to.equal(500);
      const later = new Subject<SseEvent>();
      const streaming = await toResponse(later, {
        heartbeat: false,
        onError: (error) => ({ event: 'error', data: (error as Error).message }),
      });
      const chunks = readChunks(streaming);
      later.next({ data: 'first' });
      await new Promise((resolve) => setImmediate(resolve));
      later.error(new Error('lost the feed'));
      expect((await chunks).join('')).to.equal(
        'data: first\n\nevent: error\ndata: lost the feed\n\n',
      );
    });

    it("cuts a reader that falls behind maxBufferedBytes ('close'), or skips events ('drop')", async function () {
      const big = 'x'.repeat(10_000);
      const finalized = sinon.spy();
      const source = new Subject<SseEvent>();
      const cut = await toResponse(source.pipe(finalize(finalized)), {
        heartbeat: false,
        maxBufferedBytes: 50_000,
      });
      for (let i = 0; i < 10 && !finalized.called; i++) {
        source.next({ data: big });
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(finalized.callCount).to.equal(1);
      const failure = await readChunks(cut).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as Error).message).to.contain('maxBufferedBytes (50000)');

      const dropping = new Subject<SseEvent>();
      const skipped = await toResponse(dropping, {
        heartbeat: false,
        maxBufferedBytes: 50_000,
        onSlowClient: 'drop',
      });
      for (let i = 0; i < 10; i++) {
        dropping.next({ id: i, data: big });
        await new Promise((resolve) => setImmediate(resolve));
      }
      dropping.complete();
      const ids = parseEvents((await readChunks(skipped)).join('')).map((e) => e.id);
      expect(ids).to.deep.equal(['0', '1', '2', '3']);
    });

    it("skips the rest of a turn under 'drop' once one event is dropped, a smaller one too", async function () {
      const source = new Subject<SseEvent>();
      const response = await toResponse(source, {
        heartbeat: false,
        maxBufferedBytes: 1_000,
        onSlowClient: 'drop',
      });
      // One turn: 600 bytes fit, the next 600 do not, and the small one after it must not overtake it.
      source.next({ id: 'a', data: 'a'.repeat(590) });
      source.next({ id: 'b', data: 'b'.repeat(590) });
      source.next({ id: 'c', data: 'c' });
      await new Promise((resolve) => setImmediate(resolve));
      source.next({ id: 'd', data: 'd' });
      source.complete();
      const ids = parseEvents((await readChunks(response)).join('')).map((e) => e.id);
      expect(ids).to.deep.equal(['a', 'd']);
    });

    it('cuts a burst within subscribe() at the frame that passes maxBufferedBytes, letting the source go', async function () {
      let emitted = 0;
      // Frames of 100 bytes (`data: x…x\n\n`): 100 fit under 10,000 bytes, the 101st does not.
      const response = await toResponse(
        range(0, 100_000).pipe(
          tap(() => emitted++),
          map(() => ({ data: 'x'.repeat(92) })),
        ),
        { heartbeat: false, maxBufferedBytes: 10_000 },
      );
      // The 101st is refused, and the source is let go there (the engine's own subscriber is
      // closed at once, so even a synchronous source stops being pulled).
      expect(emitted).to.equal(101);
      expect(response.status).to.equal(200);
      const failure = await readChunks(response).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((failure as Error).message).to.contain('maxBufferedBytes (10000)');
    });

    it('answers HEAD with the head alone', async function () {
      const finalized = sinon.spy();
      const response = await toResponse(NEVER.pipe(finalize(finalized)), {
        request: new Request('http://127.0.0.1/events', { method: 'HEAD' }),
      });
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
      expect(response.body).to.equal(null);
      expect(finalized.callCount).to.equal(1);
    });

    it('ends the stream when the request signal aborts', async function () {
      const finalized = sinon.spy();
      const abort = new AbortController();
      const response = await toResponse(NEVER.pipe(finalize(finalized)), {
        request: new Request('http://127.0.0.1/events', { signal: abort.signal }),
      });
      const chunks = readChunks(response);
      abort.abort();
      expect(await chunks).to.deep.equal([]);
      expect(finalized.callCount).to.equal(1);
    });
  });

  it('aborts ctx.signal as soon as the request is aborted, even while the handler still works', async function () {
    const abort = new AbortController();
    const subscribed = sinon.spy();
    let signal: AbortSignal | undefined;
    let release!: () => void;
    const working = new Promise<void>((resolve) => (release = resolve));
    const answer = toResponse(
      async (ctx) => {
        signal = ctx.signal;
        await working;
        return new Observable<SseEvent>(subscribed);
      },
      { request: new Request('http://127.0.0.1/events', { signal: abort.signal }) },
    );
    abort.abort();
    expect(signal?.aborted).to.equal(true);
    release();
    const response = await answer;
    // Nobody is left to read it: the stream is not even subscribed.
    expect(subscribed.called).to.equal(false);
    expect(response.body).to.equal(null);
  });

  it('refuses bad arguments at the call, naming them', function () {
    expect(() => toResponse('nope' as never)).to.throw(TypeError, 'toResponse: the source must be');
    expect(() => toResponse(NEVER, { heartbeat: 0 })).to.throw(TypeError, 'options.heartbeat');
    expect(() => toResponse(NEVER, { request: {} as Request })).to.throw(
      TypeError,
      'options.request must be the Request',
    );
    expect(() => toResponse(NEVER, { maxBufferedBytes: -1 })).to.throw(
      TypeError,
      'options.maxBufferedBytes',
    );
    expect(() => toResponse(NEVER, { onSlowClient: 'wait' as never })).to.throw(
      TypeError,
      'options.onSlowClient',
    );
    expect(() => toResponse(NEVER, { headers: { 'Content-Type': 'text/plain' } })).to.throw(
      TypeError,
      'toResponse: options.headers must not set Content-Type',
    );
    expect(() => toResponse(NEVER, { hearbeat: 5 } as never)).to.throw(
      TypeError,
      'unknown option "hearbeat"',
    );
  });
});
