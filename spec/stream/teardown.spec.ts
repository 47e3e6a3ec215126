import { expect } from 'chai';
import { get, type ServerResponse } from 'node:http';
import { setTimeout as setTimeoutPromise } from 'node:timers/promises';
import { defer, NEVER, Observable, of } from 'rxjs';
import sinon from 'sinon';
import { HttpError, sse, type SseContext, type SseEvent, type SseHandler } from 'rx-sse';
import { doors } from '../support/doors.js';
import { useFixture } from '../support/fixture.js';
import { fetchRaw, startServer, waitFor } from '../support/server.js';
import { open, rejectAfterTheClientLeft, useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: teardown (${door} door)`, () => {
    const d = useDoor(door);
    const { t, serve, responsesClosed } = d;

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
      await responsesClosed();
      expect(ctx?.signal.aborted).to.equal(true);
      expect(onError.calledOnce).to.equal(true);
      expect(String(onError.firstCall.args[0])).to.match(/teardown bug/);
    });

    it('should not report the rejection of work it aborted through ctx.signal', async () => {
      const onError = sinon.spy();
      let handed: Promise<Observable<SseEvent>> | undefined;
      const origin = await serve(
        ({ signal }) =>
          (handed = (async () => {
            await setTimeoutPromise(10_000, undefined, { signal });
            return NEVER;
          })()),
        { onError },
      );
      const req = get(origin).on('error', () => undefined);
      await waitFor(() => handed !== undefined, 'the handler');
      req.destroy();
      // Rejected once the close aborts the signal; rx-sse, subscribed to it first, has taken it.
      await handed!.catch(() => undefined);
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
      await responsesClosed();
      release();
      await waitFor(() => t.logged.called, 'the report');
      expect((t.logged.firstCall.args[1] as Error).message).to.match(
        /returned string "oops", not an Observable/,
      );
    });

    it('should not report an HttpError rejected after the client left', async () => {
      await rejectAfterTheClientLeft(d, new HttpError(401));
      expect(t.logged.called).to.equal(false);
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
      let release: () => void = () => undefined;
      let handed: Promise<Observable<SseEvent>> | undefined;
      const origin = await serve(
        () =>
          (handed = (async () => {
            await new Promise<void>((resolve) => (release = resolve));
            return defer(() => {
              subscribed();
              return NEVER;
            });
          })()),
      );
      const req = get(origin).on('error', () => undefined);
      await waitFor(() => handed !== undefined, 'the handler to be called');
      req.destroy();
      await responsesClosed();
      release();
      // rx-sse, subscribed to the handler's promise first, has taken its Observable.
      await handed;
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
      await responsesClosed();
      expect(t.logged.called, String(t.logged.args)).to.equal(false);
    });
  });
}

// node:http only: these use req.socket, call the listener late from node's own request
// listener, or emit on node's ServerResponse.
describe('sse: teardown (node door only)', () => {
  const t = useFixture();

  it('should unsubscribe in the same turn as the close and abort ctx.signal', async () => {
    const unsubscribed = sinon.spy();
    let ctx: SseContext | undefined;
    let seenAtClose: boolean | undefined;
    const listener = sse((context) => {
      ctx = context;
      return new Observable<SseEvent>(() => unsubscribed);
    });
    t.server = await startServer((req, res) => {
      listener(req, res);
      // Added after rx-sse's own listener, so it runs in the same turn, right after it.
      req.socket.once('close', () => (seenAtClose = unsubscribed.called));
    });
    const res = await open(t.server.origin);
    expect(unsubscribed.called).to.equal(false);
    res.destroy();
    await waitFor(() => unsubscribed.called, 'the unsubscription');
    expect(unsubscribed.calledOnce).to.equal(true);
    expect(seenAtClose).to.equal(true);
    expect(ctx?.signal.aborted).to.equal(true);
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
});
