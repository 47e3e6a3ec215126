import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { get } from 'node:http';
import { concat, Observable, of, throwError } from 'rxjs';
import sinon from 'sinon';
import { HttpError, sse, type SseContext, type SseEvent, type SseHandler } from 'rx-sse';
import { doors } from '../support/doors.js';
import { delay, fetchRaw, waitFor } from '../support/server.js';
import { useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: before the stream opens, errors are HTTP (${door} door)`, () => {
    const { t, serve, listen, responsesClosed } = useDoor(door);

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
      // Closed as the error is dispatched: EventSource has failed the connection, and a closed
      // one is never reconnected (a reconnecting one would be CONNECTING here).
      const state = await new Promise<number>((resolve) => {
        source.onerror = () => {
          resolve(source.readyState);
        };
      });
      expect(state).to.equal(EventSource.CLOSED);
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

    it('should take an async handler that resolves to an Observable', async () => {
      const origin = await serve(async () => {
        await delay(5);
        return of({ data: 'later' });
      });
      expect((await fetchRaw(origin)).body).to.equal('data: later\n\n');
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
      const server = await listen(listener);
      const before = heap();
      // The body is not kept here: only its length. (fetchRaw's would be, until the turn after
      // its end, when node's client lets go of the response.)
      const length = await new Promise<number>((resolve, reject) => {
        let bytes = 0;
        get(server.origin, { agent: false }, (res) => {
          res.on('data', (chunk: Buffer) => (bytes += chunk.length));
          res.on('close', () => resolve(bytes));
        }).on('error', reject);
      });
      expect(length).to.be.greaterThan(40e6);
      await waitFor(() => listener.stats.open === 0, 'the stream to end');
      // Finished: node has let go of every chunk written.
      await responsesClosed();
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
  });
}
