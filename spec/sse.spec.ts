import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { get, type IncomingMessage, type ServerResponse } from 'node:http';
import { createConnection } from 'node:net';
import { setTimeout as setTimeoutPromise } from 'node:timers/promises';
import {
  defer,
  interval,
  map,
  merge,
  mergeMap,
  NEVER,
  Observable,
  of,
  range,
  Subject,
  take,
  tap,
  throwError,
  concat,
  timer,
  VirtualAction,
  VirtualTimeScheduler,
} from 'rxjs';
import sinon from 'sinon';
import {
  HttpError,
  sse,
  SseEventError,
  type SseContext,
  type SseEvent,
  type SseHandler,
  type SseOptions,
} from 'rx-sse';
import { useFixture } from './support/fixture.js';
import { delay, fetchRaw, parseEvents, startServer, waitFor } from './support/server.js';

describe('sse', () => {
  const t = useFixture();

  async function serve(handler: SseHandler, options?: SseOptions): Promise<string> {
    t.server = await startServer(sse(handler, options));
    return t.server.origin;
  }

  /** Opens a raw GET and resolves with the response as soon as its head arrives. */
  function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      get(url, { headers }, resolve).on('error', reject);
    });
  }

  /** Serves a handler that waits; the client leaves; then the handler rejects with `error`. */
  async function rejectAfterTheClientLeft(error: unknown): Promise<void> {
    let called = false;
    let reject: (error: unknown) => void = () => undefined;
    const origin = await serve(() => {
      called = true;
      return new Promise<never>((_, r) => (reject = r));
    });
    const req = get(origin).on('error', () => undefined);
    await waitFor(() => called, 'the handler');
    req.destroy();
    await delay(20);
    reject(error);
    await delay(20);
  }

  describe('the stream', () => {
    it('should send 200 and the SSE headers', async () => {
      const origin = await serve(() => of({ data: 'x' }), { headers: { 'X-Custom': 'yes' } });
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(200);
      expect(res.headers).to.include({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
        'x-custom': 'yes',
      });
    });

    it('should let a user header replace a default one', async () => {
      const origin = await serve(() => of({ data: 'x' }), {
        headers: { 'cache-control': 'no-store' },
      });
      expect((await fetchRaw(origin)).headers['cache-control']).to.equal('no-store');
    });

    it('should send the head at once, before any event, so the client opens', async () => {
      const origin = await serve(() => NEVER, { heartbeat: false });
      const res = await open(origin);
      expect(res.statusCode).to.equal(200);
      const source = new EventSource(origin);
      try {
        await new Promise<void>((resolve, reject) => {
          source.onopen = () => {
            resolve();
          };
          source.onerror = () => {
            reject(new Error('EventSource failed'));
          };
        });
      } finally {
        source.close();
        res.destroy();
      }
    });

    it('should write each event and end the response when the observable completes', async () => {
      const origin = await serve(() =>
        interval(5).pipe(
          take(10),
          map((i) => ({ event: 'counter', data: i })),
        ),
      );
      const res = await fetchRaw(origin);
      expect(res.body).to.equal(
        Array.from({ length: 10 }, (_, i) => `event: counter\ndata: ${i}\n\n`).join(''),
      );
    });

    it('should deliver every event to an EventSource client', async () => {
      const origin = await serve(() =>
        interval(5).pipe(
          take(10),
          map((i) => ({ event: 'counter', data: i })),
        ),
      );
      const source = new EventSource(origin);
      const received: string[] = [];
      source.addEventListener('counter', (event) => received.push(event.data));
      await waitFor(() => received.length === 10, 'ten counter events');
      source.close();
      expect(received).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    });

    it('should write every queued byte before ending, for a burst within maxBufferedBytes', async () => {
      const big = 'x'.repeat(1024);
      const origin = await serve(
        () => defer(() => of(...Array.from({ length: 2000 }, (_, i) => ({ id: i, data: big })))),
        // 2 MB in one turn: the bound must hold the largest burst.
        { maxBufferedBytes: 4 * 1024 * 1024 },
      );
      const events = parseEvents((await fetchRaw(origin)).body);
      expect(events).to.have.length(2000);
      expect(events.at(-1)).to.deep.equal({ id: '1999', event: undefined, data: big });
    });

    it('should send the retry preamble first', async () => {
      const origin = await serve(() => of({ data: 'x' }), { retry: 1500 });
      expect((await fetchRaw(origin)).body).to.equal('retry: 1500\n\ndata: x\n\n');
    });

    it('should send heartbeats on real timers while the stream is idle', async () => {
      const origin = await serve(
        () => concat(of({ data: 'a' }), timer(200).pipe(map(() => ({ data: 'b' })))),
        { heartbeat: 30 },
      );
      // Real timers on a shared machine drift, so only the shape is pinned; the exact times are
      // pinned in virtual time below and in toWire.spec.ts.
      expect((await fetchRaw(origin)).body).to.match(/^data: a\n\n(:\n\n)+data: b\n\n$/);
    });

    it('should run heartbeats on options.scheduler', async () => {
      // A minute apart: real timers could not produce these within the test.
      const scheduler = new VirtualTimeScheduler(VirtualAction, 180_000);
      const origin = await serve(() => NEVER, { heartbeat: 60_000, scheduler });
      const res = await open(origin);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      expect(body).to.equal('');
      scheduler.flush(); // virtual 0..180 s: heartbeats at 60, 120 and 180 s
      await waitFor(() => body.length >= 9, 'three heartbeats', 2000);
      res.destroy();
      expect(body).to.equal(':\n\n:\n\n:\n\n');
    });

    it('should beat from one sweep per quarter period: ¾ to all of the period after the last frame', async () => {
      // Virtual time: sweeps at 15, 30, 45 … s. Silent from the open at 0 s: a heartbeat at 60 s.
      // An event at 70 s: the next at 120 s (50 s later, where a timer per stream would wait
      // until 130 s), never more than 60 s of silence.
      const scheduler = new VirtualTimeScheduler(VirtualAction, 125_000);
      const origin = await serve(
        () => concat(timer(70_000, scheduler).pipe(map(() => ({ data: 'x' }))), NEVER),
        { heartbeat: 60_000, scheduler },
      );
      const res = await open(origin);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      scheduler.flush();
      await waitFor(() => body.length >= 15, 'two heartbeats and the event', 2000);
      await delay(20);
      res.destroy();
      expect(body).to.equal(':\n\ndata: x\n\n:\n\n');
    });

    it('should stop pulling a synchronous source at an event it cannot encode', async () => {
      let pulled = 0;
      const origin = await serve(() =>
        range(0, 100_000).pipe(
          tap(() => pulled++),
          map((i) => (i === 1 ? { event: 'a\nb', data: i } : { data: i })),
        ),
      );
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(500);
      expect(pulled).to.equal(2);
    });

    it('should flush within the turn of the event, before any later microtask', async () => {
      let writesSeen: number | undefined;
      const writes: string[] = [];
      const listener = sse(
        () =>
          new Observable<SseEvent>((subscriber) => {
            setTimeout(() => {
              subscriber.next({ data: 'now' });
              queueMicrotask(() => (writesSeen = writes.length));
            }, 5);
          }),
        { heartbeat: false },
      );
      t.server = await startServer((req, res) => {
        const write = res.write.bind(res);
        res.write = ((...args: Parameters<typeof write>) => (
          writes.push(String(args[0])),
          write(...args)
        )) as typeof res.write;
        listener(req, res);
      });
      const res = await open(t.server.origin);
      await waitFor(() => writesSeen !== undefined, 'the event');
      res.destroy();
      expect(writesSeen).to.equal(1);
      expect(writes).to.deep.equal(['data: now\n\n']);
    });

    it('should join the events of one turn into one write', async () => {
      const burst = of({ data: 1 }, { data: 2 }, { data: 3 });
      const listener = sse(
        () =>
          concat(timer(10).pipe(mergeMap(() => burst)), timer(30).pipe(map(() => ({ data: 4 })))),
        { heartbeat: false },
      );
      const writes: unknown[][] = [];
      t.server = await startServer((req, res) => {
        const write = res.write.bind(res);
        res.write = ((...args: Parameters<typeof write>) => (
          writes.push(args),
          write(...args)
        )) as typeof res.write;
        listener(req, res);
      });
      const res = await fetchRaw(t.server.origin);
      expect(res.body).to.equal('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
      expect(writes.map((args) => args[0])).to.deep.equal([
        'data: 1\n\ndata: 2\n\ndata: 3\n\n',
        'data: 4\n\n',
      ]);
    });
  });

  describe('teardown', () => {
    it('should unsubscribe in the same turn as the close and abort ctx.signal', async () => {
      const unsubscribed = sinon.spy();
      let ctx: SseContext | undefined;
      let seenAtClose: boolean | undefined;
      const origin = await serve((context) => {
        ctx = context;
        // Added after rx-sse's own listener, so it runs in the same turn, right after it.
        context.req.socket.once('close', () => (seenAtClose = unsubscribed.called));
        return new Observable<SseEvent>(() => unsubscribed);
      });
      const res = await open(origin);
      expect(unsubscribed.called).to.equal(false);
      res.destroy();
      await waitFor(() => unsubscribed.called, 'the unsubscription');
      expect(unsubscribed.calledOnce).to.equal(true);
      expect(seenAtClose).to.equal(true);
      expect(ctx?.signal.aborted).to.equal(true);
    });

    it('should survive a teardown that throws, abort the signal and report the error once', async () => {
      const onError = sinon.spy();
      let ctx: SseContext | undefined;
      const origin = await serve(
        (context) => {
          ctx = context;
          return new Observable<SseEvent>(() => () => {
            throw new Error('teardown bug');
          });
        },
        { onError },
      );
      const res = await open(origin);
      res.destroy();
      await waitFor(() => onError.called, 'the report');
      await delay(20);
      expect(ctx?.signal.aborted).to.equal(true);
      expect(onError.calledOnce).to.equal(true);
      expect(String(onError.firstCall.args[0])).to.match(/teardown bug/);
    });

    it('should not report the rejection of work it aborted through ctx.signal', async () => {
      const onError = sinon.spy();
      let called = false;
      const origin = await serve(
        async ({ signal }) => {
          called = true;
          await setTimeoutPromise(10_000, undefined, { signal });
          return NEVER;
        },
        { onError },
      );
      const req = get(origin).on('error', () => undefined);
      await waitFor(() => called, 'the handler');
      req.destroy();
      await delay(50);
      expect(onError.called).to.equal(false);
      expect(t.logged.called).to.equal(false);
    });

    it('should still report a handler that resolves to no Observable after the client left', async () => {
      let called = false;
      let release: () => void = () => undefined;
      const origin = await serve((async () => {
        called = true;
        await new Promise<void>((resolve) => (release = resolve));
        return 'oops';
      }) as unknown as SseHandler);
      const req = get(origin).on('error', () => undefined);
      await waitFor(() => called, 'the handler');
      req.destroy();
      await delay(20);
      release();
      await waitFor(() => t.logged.called, 'the report');
      expect((t.logged.firstCall.args[1] as Error).message).to.match(
        /returned string "oops", not an Observable/,
      );
    });

    it('should not call the handler when the client left before the listener ran', async () => {
      const handler = sinon.spy(() => NEVER);
      const listener = sse(handler);
      let served = false;
      let arrived = false;
      t.server = await startServer((req, res) => {
        arrived = true;
        // Slow middleware: by the time the stream is asked for, the client is gone.
        req.socket.once('close', () => {
          listener(req, res);
          served = true;
        });
      });
      const req = get(t.server.origin).on('error', () => undefined);
      await waitFor(() => arrived, 'the request to reach the server');
      req.destroy();
      await waitFor(() => served, 'the late listener call');
      expect(handler.called).to.equal(false);
    });

    it('should not report an HttpError rejected after the client left', async () => {
      await rejectAfterTheClientLeft(new HttpError(401));
      expect(t.logged.called).to.equal(false);
    });

    it('should ignore a departed client reported on the response, and log any other error', async () => {
      let response: ServerResponse | undefined;
      const listener = sse(() => NEVER);
      t.server = await startServer((req, res) => {
        response = res;
        listener(req, res);
      });
      const res = await open(t.server.origin);
      response!.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      response!.emit('error', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
      expect(t.logged.called).to.equal(false);
      const strange = Object.assign(new Error('strange'), { code: 'ESTRANGE' });
      response!.emit('error', strange);
      expect(t.logged.calledOnceWith('rx-sse:', strange)).to.equal(true);
      res.destroy();
    });

    it('should abort ctx.signal when the stream completes', async () => {
      let ctx: SseContext | undefined;
      const origin = await serve((context) => {
        ctx = context;
        return of({ data: 'x' });
      });
      await fetchRaw(origin);
      expect(ctx?.signal.aborted).to.equal(true);
    });

    it('should not subscribe when the client left while an async handler was working', async () => {
      const subscribed = sinon.spy();
      let called = false;
      let release: () => void = () => undefined;
      const origin = await serve(async () => {
        called = true;
        await new Promise<void>((resolve) => (release = resolve));
        return defer(() => {
          subscribed();
          return NEVER;
        });
      });
      const req = get(origin).on('error', () => undefined);
      await waitFor(() => called, 'the handler to be called');
      req.destroy();
      await delay(30);
      release();
      await delay(30);
      expect(subscribed.called).to.equal(false);
      expect(t.logged.called).to.equal(false);
    });

    it('should treat a client that vanishes mid-write as a normal ending, not an error', async () => {
      const big = 'y'.repeat(16 * 1024);
      let unsubscribed = false;
      const origin = await serve(
        () =>
          new Observable<SseEvent>((subscriber) => {
            const timer = setInterval(() => {
              for (let i = 0; i < 20; i++) subscriber.next({ data: big });
            }, 1);
            return () => {
              unsubscribed = true;
              clearInterval(timer);
            };
          }),
      );
      const res = await open(origin);
      await new Promise((resolve) => res.once('data', resolve));
      res.destroy();
      await waitFor(() => unsubscribed, 'the unsubscription');
      await delay(50);
      expect(t.logged.called, String(t.logged.args)).to.equal(false);
    });
  });

  describe('before the stream opens, errors are HTTP', () => {
    const refusals: [string, HttpError, Record<string, string>][] = [
      [
        '401 with WWW-Authenticate',
        new HttpError(401, 'Sign in', { headers: { 'WWW-Authenticate': 'Bearer' } }),
        { 'www-authenticate': 'Bearer' },
      ],
      ['403', new HttpError(403), {}],
      ['404', new HttpError(404, 'No such room'), {}],
      [
        '429 with Retry-After',
        new HttpError(429, undefined, { headers: { 'Retry-After': '30' } }),
        { 'retry-after': '30' },
      ],
    ];
    for (const [what, error, headers] of refusals) {
      it(`should answer a thrown HttpError ${what}`, async () => {
        const origin = await serve(() => {
          throw error;
        });
        const res = await fetchRaw(origin);
        expect(res.status).to.equal(error.status);
        expect(res.headers).to.include({ 'content-type': 'text/plain; charset=utf-8', ...headers });
        expect(res.body).to.equal(error.message);
        expect(t.logged.called).to.equal(false);
      });
    }

    it('should answer 204 with no body, which makes EventSource stop', async () => {
      let calls = 0;
      const origin = await serve(() => {
        calls++;
        throw new HttpError(204);
      });
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(204);
      expect(res.body).to.equal('');
      expect(res.headers['content-type']).to.equal(undefined);
      expect(res.headers['content-length']).to.equal(undefined);
      const source = new EventSource(origin);
      await new Promise<void>((resolve) => {
        source.onerror = () => {
          resolve();
        };
      });
      await delay(100);
      expect(source.readyState).to.equal(EventSource.CLOSED);
      expect(calls).to.equal(2);
    });

    it('should answer a rejected HttpError', async () => {
      const origin = await serve(() => Promise.reject(new HttpError(403, 'Not yours')));
      const res = await fetchRaw(origin);
      expect([res.status, res.body]).to.deep.equal([403, 'Not yours']);
    });

    it('should answer an HttpError raised synchronously on subscribe, discarding what came before it', async () => {
      const origin = await serve(
        () =>
          concat(
            of({ data: 'early' }),
            throwError(() => new HttpError(404)),
          ),
        { retry: 10 },
      );
      const res = await fetchRaw(origin);
      expect([res.status, res.body]).to.deep.equal([404, 'Not Found']);
    });

    it('should answer 500 for any other throw, with nothing internal, and report it once', async () => {
      const secret = new Error('db password is hunter2');
      const origin = await serve(() => {
        throw secret;
      });
      const res = await fetchRaw(origin);
      expect([res.status, res.body]).to.deep.equal([500, 'Internal Server Error']);
      expect(t.logged.calledOnceWith('rx-sse:', secret)).to.equal(true);
    });

    it('should answer 500 for a rejection and pass it to options.onError', async () => {
      const onError = sinon.spy();
      const failure = new Error('lookup failed');
      const origin = await serve(() => Promise.reject(failure), { onError });
      expect((await fetchRaw(origin)).status).to.equal(500);
      expect(onError.calledOnce).to.equal(true);
      expect(onError.firstCall.args[0]).to.equal(failure);
      expect((onError.firstCall.args[1] as SseContext).url.pathname).to.equal('/');
    });

    it('should answer 500 and name the mistake when the handler returns no Observable', async () => {
      const origin = await serve((() => ({ data: 'not an observable' })) as unknown as SseHandler);
      expect((await fetchRaw(`${origin}/feed`)).status).to.equal(500);
      expect(t.logged.calledOnce).to.equal(true);
      const error = t.logged.firstCall.args[1] as Error;
      expect(error).to.be.instanceOf(TypeError);
      expect(error.message).to.equal(
        'rx-sse: the handler for GET /feed returned an object, not an Observable of events',
      );
    });

    it('should answer 500, not crash, when starting the stream throws after an await', async () => {
      // isObservable() accepts anything with lift() and subscribe(); this one's subscribe throws
      // (an Observable's own catches and errors instead).
      const impostor = {
        lift: () => undefined,
        subscribe: () => {
          throw new Error('not really an Observable');
        },
      };
      const origin = await serve(() =>
        Promise.resolve(impostor as unknown as Observable<SseEvent>),
      );
      expect((await fetchRaw(origin)).status).to.equal(500);
      expect(t.logged.calledOnce).to.equal(true);
    });

    it('should answer 500 to an Observable-like whose subscribe() gives no Subscription', async () => {
      const impostor = { lift: () => undefined, subscribe: () => undefined };
      const origin = await serve(() => impostor as unknown as Observable<SseEvent>);
      expect((await fetchRaw(origin)).status).to.equal(500);
      expect(String(t.logged.firstCall.args[1])).to.match(/subscribe\(\) gave undefined/);
    });

    it("should keep a synchronous ending when the stream's own teardown throws, and report the throw", async () => {
      const cleanup = new Error('cleanup failed');
      const onError = sinon.spy();
      const origin = await serve(
        (ctx) =>
          new Observable<SseEvent>((subscriber) => {
            if (ctx.url.pathname === '/forbidden') subscriber.error(new HttpError(403));
            else {
              subscriber.next({ data: 'snapshot' });
              subscriber.complete();
            }
            return () => {
              throw cleanup;
            };
          }),
        { onError },
      );
      const done = await fetchRaw(origin);
      expect([done.status, done.body]).to.deep.equal([200, 'data: snapshot\n\n']);
      expect((await fetchRaw(`${origin}/forbidden`)).status).to.equal(403);
      expect(onError.args.map((args: unknown[]) => args[0])).to.deep.equal([cleanup, cleanup]);
    });

    it('should send 205 with no body and refusals with Cache-Control: no-store', async () => {
      const origin = await serve((ctx) => {
        throw new HttpError(ctx.url.pathname === '/reset' ? 205 : 403);
      });
      const reset = await fetchRaw(`${origin}/reset`);
      expect([reset.status, reset.body, reset.headers['content-length']]).to.deep.equal([
        205,
        '',
        undefined,
      ]);
      expect((await fetchRaw(origin)).headers['cache-control']).to.equal('no-store');
    });

    it('should send options.headers with a 405 too', async () => {
      const origin = await serve(() => NEVER, { headers: { 'Access-Control-Allow-Origin': '*' } });
      const res = await new Promise<IncomingMessage>((resolve) =>
        get(origin, { method: 'PUT' }, resolve).end(),
      );
      res.resume();
      expect([res.statusCode, res.headers['access-control-allow-origin']]).to.deep.equal([
        405,
        '*',
      ]);
    });

    it('should take an async handler that resolves to an Observable', async () => {
      const origin = await serve(async () => {
        await delay(5);
        return of({ data: 'later' });
      });
      expect((await fetchRaw(origin)).body).to.equal('data: later\n\n');
    });

    it('should answer HEAD as GET would be answered, writing nothing of the stream', async () => {
      const subscribed = sinon.spy();
      const unsubscribed = sinon.spy();
      const origin = await serve((ctx) => {
        if (ctx.url.pathname === '/private') throw new HttpError(401);
        if (ctx.url.pathname === '/gone') return throwError(() => new HttpError(404));
        return new Observable<SseEvent>((subscriber) => {
          subscribed();
          subscriber.next({ data: 'never written' });
          return unsubscribed;
        });
      });
      const head = async (path: string) => {
        const res = await new Promise<IncomingMessage>((resolve) =>
          get(`${origin}${path}`, { method: 'HEAD' }, resolve).end(),
        );
        res.resume();
        return res;
      };
      const ok = await head('/');
      expect(ok.statusCode).to.equal(200);
      expect(ok.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect((await head('/private')).statusCode).to.equal(401);
      expect((await head('/gone')).statusCode).to.equal(404);
      // Subscribed for the synchronous window in which an error is still a status, then let go.
      expect([subscribed.callCount, unsubscribed.callCount]).to.deep.equal([1, 1]);
    });

    it('should answer HEAD as GET when the teardown of an ending throws, or an event cannot be encoded', async () => {
      const onError = sinon.spy();
      const origin = await serve(
        (ctx) =>
          new Observable<SseEvent>((subscriber) => {
            if (ctx.url.pathname === '/bad') subscriber.next({ event: 'a\nb', data: 1 });
            else if (ctx.url.pathname === '/denied') subscriber.error(new HttpError(401));
            else subscriber.complete();
            return () => {
              throw new Error('teardown');
            };
          }),
        { onError },
      );
      const statuses: [string, number | undefined, number | undefined][] = [];
      for (const path of ['/', '/denied', '/bad']) {
        const head = await new Promise<IncomingMessage>((resolve) =>
          get(`${origin}${path}`, { method: 'HEAD' }, resolve).end(),
        );
        head.resume();
        statuses.push([path, head.statusCode, (await fetchRaw(`${origin}${path}`)).status]);
      }
      expect(statuses).to.deep.equal([
        ['/', 200, 200],
        ['/denied', 401, 401],
        ['/bad', 500, 500],
      ]);
    });

    it('should keep no string of a finished turn once its streams have ended', async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc === undefined) throw new Error('run with --expose-gc (.mocharc.json does)');
      const heap = (): number => {
        gc();
        gc();
        return process.memoryUsage().heapUsed;
      };
      // Two 20 MB events in one turn: joined into one 40 MB chunk.
      const listener = sse(
        () => of({ data: 'a'.repeat(20e6) + String(Math.random()) }, { data: 'b'.repeat(20e6) }),
        { maxBufferedBytes: 100e6 },
      );
      t.server = await startServer(listener);
      const before = heap();
      // The body is not kept here: only its length.
      const length = (await fetchRaw(t.server.origin)).body.length;
      expect(length).to.be.greaterThan(40e6);
      await waitFor(() => listener.stats.open === 0, 'the stream to end');
      await delay(50);
      expect(heap() - before).to.be.below(20e6);
    });

    it('should send options.headers with refusals too, so CORS clients can read them', async () => {
      const origin = await serve(
        () => {
          throw new HttpError(429, 'Slow down', { headers: { 'Retry-After': '5' } });
        },
        { headers: { 'Access-Control-Allow-Origin': 'https://app.example' } },
      );
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(429);
      expect(res.headers).to.include({
        'access-control-allow-origin': 'https://app.example',
        'retry-after': '5',
      });
      expect(res.headers['x-accel-buffering']).to.equal(undefined);
    });

    it('should answer 405 with Allow to a method other than GET', async () => {
      const handler = sinon.spy(() => NEVER);
      const origin = await serve(handler);
      const res = await new Promise<IncomingMessage>((resolve) => {
        const req = get(origin, { method: 'POST' }, resolve);
        req.end();
      });
      res.resume();
      expect([res.statusCode, res.headers.allow]).to.deep.equal([405, 'GET, HEAD']);
      expect(handler.called).to.equal(false);
    });

    it('should pass a method other than GET to next() as middleware', async () => {
      const listener = sse(() => NEVER);
      t.server = await startServer((req, res) => {
        listener(req, res, () => {
          res.end('next');
        });
      });
      const res = await new Promise<IncomingMessage>((resolve) =>
        get(t.server!.origin, { method: 'DELETE' }, resolve).end(),
      );
      let body = '';
      for await (const chunk of res) body += String(chunk);
      expect(body).to.equal('next');
    });
  });

  describe('after the stream opens, errors are events', () => {
    it('should end the response and show the client nothing of the error by default', async () => {
      const failure = new Error('internal detail');
      const origin = await serve(() =>
        concat(
          of({ data: 'a' }),
          timer(10).pipe(
            map(() => {
              throw failure;
            }),
          ),
        ),
      );
      const res = await fetchRaw(origin);
      expect([res.status, res.body]).to.deep.equal([200, 'data: a\n\n']);
      expect(t.logged.calledOnceWith('rx-sse:', failure)).to.equal(true);
    });

    it('should send the event options.onError returns as the last one', async () => {
      const origin = await serve(
        () =>
          concat(
            of({ data: 'a' }),
            timer(10).pipe(
              map(() => {
                throw new Error('x');
              }),
            ),
          ),
        {
          onError: () => ({ event: 'error', data: 'try later' }),
        },
      );
      expect((await fetchRaw(origin)).body).to.equal(
        'data: a\n\nevent: error\ndata: try later\n\n',
      );
      expect(t.logged.called).to.equal(false);
    });

    it('should treat an event encode refuses as a stream error and write none of it', async () => {
      const onError = sinon.spy();
      const origin = await serve(
        () =>
          concat(of({ data: 'a' }), timer(10).pipe(map(() => ({ id: 'x\ny', data: 'forged' })))),
        { onError },
      );
      expect((await fetchRaw(origin)).body).to.equal('data: a\n\n');
      expect(onError.firstCall.args[0]).to.be.instanceOf(SseEventError);
    });

    it('should log an async onError that rejects, without crashing', async () => {
      const origin = await serve(
        () =>
          timer(5).pipe(
            map(() => {
              throw new Error('first');
            }),
          ),
        { onError: (() => Promise.reject(new Error('async hook failed'))) as never },
      );
      expect((await fetchRaw(origin)).body).to.equal('');
      await waitFor(() => t.logged.called, 'the report');
      expect((t.logged.firstCall.args[1] as Error).message).to.equal(
        'rx-sse: options.onError rejected',
      );
    });

    it('should encode the last event with options.serialize', async () => {
      const origin = await serve(
        () =>
          timer(5).pipe(
            map(() => {
              throw new Error('x');
            }),
          ),
        {
          onError: () => ({ data: { code: 1 } }),
          serialize: (value) => `S${JSON.stringify(value)}`,
        },
      );
      expect((await fetchRaw(origin)).body).to.equal('data: S{"code":1}\n\n');
    });

    it('should report an onError that throws and still end the stream', async () => {
      const origin = await serve(
        () =>
          timer(5).pipe(
            map(() => {
              throw new Error('first');
            }),
          ),
        {
          onError: () => {
            throw new Error('second');
          },
        },
      );
      expect((await fetchRaw(origin)).status).to.equal(200);
      expect(t.logged.calledOnce).to.equal(true);
      expect((t.logged.firstCall.args[1] as Error).message).to.equal(
        'rx-sse: options.onError threw',
      );
    });
  });

  describe('connection header', () => {
    function rawHead(origin: string, request: string): Promise<{ head: string; closed: boolean }> {
      return new Promise((resolve) => {
        const socket = createConnection(Number(new URL(origin).port), '127.0.0.1', () =>
          socket.write(request),
        );
        let text = '';
        socket.setEncoding('utf8');
        socket.on('data', (chunk: string) => (text += chunk));
        socket.on('close', () => resolve({ head: text.split('\r\n\r\n')[0] ?? '', closed: true }));
        setTimeout(() => {
          resolve({ head: text.split('\r\n\r\n')[0] ?? '', closed: false });
          socket.destroy();
        }, 300);
      });
    }

    it('should keep an HTTP/1.1 connection alive by default', async () => {
      const origin = await serve(() => of({ data: 1 }));
      const { head, closed } = await rawHead(origin, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
      expect(head).to.match(/\r\nConnection: keep-alive/i);
      expect(closed).to.equal(false);
    });

    it("should honour a client's Connection: close, and close after the stream", async () => {
      const origin = await serve(() => of({ data: 1 }));
      const { head, closed } = await rawHead(
        origin,
        'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      expect(head).to.match(/\r\nConnection: close/i);
      expect(head).not.to.match(/keep-alive/i);
      expect(closed).to.equal(true);
    });

    it('should not claim keep-alive to an HTTP/1.0 client', async () => {
      const origin = await serve(() => of({ data: 1 }));
      const { head } = await rawHead(origin, 'GET / HTTP/1.0\r\n\r\n');
      expect(head).not.to.match(/keep-alive/i);
    });
  });

  describe('the context', () => {
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
      t.server = await startServer(listener);
      const res = await open(t.server.origin);
      await waitFor(() => listener.stats.open === 1, 'the stream');
      res.destroy();
      await waitFor(() => listener.stats.open === 0, 'the teardown');
      // Never read while the stream lived: made now, already aborted.
      expect(ctx?.signal.aborted).to.equal(true);
      expect(ctx?.url.pathname).to.equal('/');
    });

    it('should not report an AbortError of work aborted at the end when the signal was never read', async () => {
      await rejectAfterTheClientLeft(new DOMException('gone', 'AbortError'));
      expect(t.logged.called).to.equal(false);
    });

    it('should answer 400 to a request target that is not a URL', async () => {
      const handler = sinon.spy(() => NEVER);
      const origin = await serve(handler);
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
      t.server = await startServer(listener);
      const res = await open(`${t.server.origin}/?room=7`);
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

  describe('many clients', () => {
    it('should give each client exactly its own frames when the frames of a turn are joined', async () => {
      // Writers share the strings they join when they append the same frames in the same order;
      // here clients get overlapping, differently ordered subsets of one turn's events.
      const odd = new Subject<SseEvent>();
      const even = new Subject<SseEvent>();
      const listener = sse((ctx) => {
        switch (ctx.url.pathname) {
          case '/all':
            return merge(odd, even);
          case '/odd':
            return odd;
          case '/even':
            return even;
          default:
            return merge(even, odd.pipe(map((event) => ({ ...event, event: 'late' }))));
        }
      });
      t.server = await startServer(listener);
      const paths = ['/all', '/odd', '/odd', '/even', '/mixed', '/all'];
      const responses = paths.map((path) => fetchRaw(`${t.server!.origin}${path}`));
      await waitFor(() => listener.stats.open === paths.length, 'every stream');
      for (let turn = 0; turn < 3; turn++) {
        for (let i = 1; i <= 6; i++) (i % 2 === 1 ? odd : even).next({ data: `${turn}.${i}` });
        await delay(5);
      }
      odd.complete();
      even.complete();
      const bodies = (await Promise.all(responses)).map((res) => res.body);
      const frames = (filter: (i: number) => boolean, name?: (i: number) => string) =>
        [0, 1, 2]
          .flatMap((turn) =>
            [1, 2, 3, 4, 5, 6]
              .filter(filter)
              .map((i) => `${name?.(i) ?? ''}data: ${turn}.${i}\n\n`),
          )
          .join('');
      const all = frames(() => true);
      const odds = frames((i) => i % 2 === 1);
      const evens = frames((i) => i % 2 === 0);
      const mixed = frames(
        () => true,
        (i) => (i % 2 === 1 ? 'event: late\n' : ''),
      );
      expect(bodies).to.deep.equal([all, odds, odds, evens, mixed, all]);
    });

    it('should tear down every subscription when hundreds of clients connect and leave', async function () {
      this.timeout(30_000);
      let open = 0;
      let opened = 0;
      const origin = await serve(
        () =>
          new Observable<SseEvent>((subscriber) => {
            open++;
            opened++;
            subscriber.next({ data: 'hi' });
            return () => open--;
          }),
      );
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const timersBefore = timers();
      const clients = 400;
      for (let batch = 0; batch < clients / 100; batch++) {
        const responses = await Promise.all(
          Array.from({ length: 100 }, () => openFirstChunk(origin)),
        );
        for (const res of responses) res.destroy();
      }
      await waitFor(() => open === 0, 'every subscription to end', 10_000);
      expect(opened).to.equal(clients);
      // Every stream had a heartbeat timer; none may outlive its connection.
      expect(timers()).to.be.at.most(timersBefore);
      const connections = await new Promise<number>((resolve, reject) => {
        t.server!.server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
      });
      expect(connections).to.equal(0);
      expect(t.logged.called).to.equal(false);
    });

    function openFirstChunk(url: string): Promise<IncomingMessage> {
      return new Promise((resolve, reject) => {
        get(url, { agent: false }, (res) => res.once('data', () => resolve(res))).on(
          'error',
          reject,
        );
      });
    }
  });

  describe('setup', () => {
    const bad: [string, () => unknown, RegExp][] = [
      [
        'a scheduler that is not one',
        () => sse(() => NEVER, { scheduler: 'async' as never }),
        /options\.scheduler must be an RxJS SchedulerLike/,
      ],
      [
        'an unknown option, such as a typo',
        () => sse(() => NEVER, { hearbeat: 5000 } as never),
        /unknown option "hearbeat"; the options are retry, heartbeat, /,
      ],
      [
        'a handler that is not a function',
        () => sse('feed' as never),
        /the handler must be a function .* \(got string "feed"\)/,
      ],
      [
        'a header value with CR or LF',
        () => sse(() => NEVER, { headers: { 'X-A': 'a\r\nSet-Cookie: x' } }),
        /options\.headers\["X-A"\] is not a valid HTTP header/,
      ],
      [
        'a Content-Type header',
        () => sse(() => NEVER, { headers: { 'content-type': 'text/plain' } }),
        /must not set Content-Type/,
      ],
      [
        'an onError that is not a function',
        () => sse(() => NEVER, { onError: 'log' as never }),
        /options\.onError must be a function/,
      ],
      [
        'a zero maxLastEventIdLength',
        () => sse(() => NEVER, { maxLastEventIdLength: 0 }),
        /options\.maxLastEventIdLength must be an integer of at least 1/,
      ],
      [
        'a negative retry',
        () => sse(() => NEVER, { retry: -1 }),
        /sse: options\.retry must be a non-negative integer/,
      ],
    ];
    for (const [what, make, message] of bad) {
      it(`should refuse ${what}`, () => {
        expect(make).to.throw(TypeError, message);
      });
    }
  });

  it('should write exactly the bytes of the wire format', async () => {
    const event = { event: 'e', id: 3, data: { a: 'b\nc' } };
    const origin = await serve(() => of(event, { comment: 'x', data: 'l1\r\nl2' }), {
      heartbeat: false,
    });
    expect((await fetchRaw(origin)).body).to.equal(
      'event: e\nid: 3\ndata: {"a":"b\\nc"}\n\n: x\ndata: l1\ndata: l2\n\n',
    );
  });
});
