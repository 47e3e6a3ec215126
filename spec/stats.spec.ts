import { expect } from 'chai';
import { get } from 'node:http';
import { concat, map, NEVER, of, Subject, timer } from 'rxjs';
import { HttpError, sse, type EndReason, type SseEvent } from 'rx-sse';
import { doors } from './support/doors.js';
import { fetchRaw, waitFor } from './support/server.js';
import { useDoor } from './support/stream.js';

for (const door of doors) {
  describe(`sse stats and hooks (${door} door)`, () => {
    const { t, listen } = useDoor(door);

    it('should count streams, events and bytes, leaving out heartbeats and the preamble', async () => {
      const listener = sse(
        () => concat(of({ data: 'ab' }, { data: 'é' }), timer(40).pipe(map(() => ({ data: 'c' })))),
        {
          retry: 100,
          heartbeat: 15,
        },
      );
      const { origin } = await listen(listener);
      const res = await fetchRaw(origin);
      const { open, opened, events, bytes, refused, errors, dropped, closedSlow } = listener.stats;
      expect({ open, opened, events, refused, errors, dropped, closedSlow }).to.deep.equal({
        open: 0,
        opened: 1,
        events: 3,
        refused: 0,
        errors: 0,
        dropped: 0,
        closedSlow: 0,
      });
      expect(bytes).to.equal(Buffer.byteLength(res.body));
    });

    it('should count refusals and errors', async () => {
      const listener = sse((ctx) => {
        if (ctx.url.pathname === '/bug') throw new Error('bug');
        throw new HttpError(403);
      });
      const { origin } = await listen(listener);
      await fetchRaw(`${origin}/bug`);
      await fetchRaw(`${origin}/forbidden`);
      // Both were refused; only the bug is an error (an HttpError is a decision, not a failure).
      expect(listener.stats).to.include({ refused: 2, errors: 1, opened: 0 });
    });

    it('should send the head before onConnect, so a hook that ends the stream ends an open one', async () => {
      const events = new Subject<SseEvent>();
      const listener = sse(() => events, {
        onConnect: () => {
          events.next({ data: 'hello' });
          events.complete();
        },
      });
      const { origin } = await listen(listener);
      const res = await fetchRaw(origin);
      expect([res.status, res.headers['content-type'], res.body]).to.deep.equal([
        200,
        'text/event-stream; charset=utf-8',
        'data: hello\n\n',
      ]);
      expect(t.logged.called).to.equal(false);
    });

    it('should call onConnect when a stream opens and onDisconnect once, with why it ended', async () => {
      const reasons: [string, EndReason][] = [];
      const connected: string[] = [];
      const failing = new Subject<SseEvent>();
      const listener = sse(
        (ctx) => {
          switch (ctx.url.pathname) {
            case '/complete':
              return of({ data: 1 });
            case '/error':
              return failing;
            default:
              return NEVER;
          }
        },
        {
          onConnect: (ctx) => connected.push(ctx.url.pathname),
          onDisconnect: (ctx, reason) => reasons.push([ctx.url.pathname, reason]),
        },
      );
      const { origin } = await listen(listener);
      await fetchRaw(`${origin}/complete`);
      const erroring = fetchRaw(`${origin}/error`);
      await waitFor(() => connected.includes('/error'), 'the /error stream');
      failing.error(new Error('stream failed'));
      await erroring;
      const leaving = get(`${origin}/client`).on('error', () => undefined);
      await waitFor(() => connected.includes('/client'), 'the /client stream');
      leaving.destroy();
      await waitFor(() => reasons.length === 3, 'three disconnects');
      const shut = get(`${origin}/shutdown`, (res) => res.resume()).on('error', () => undefined);
      await waitFor(() => connected.includes('/shutdown'), 'the /shutdown stream');
      await listener.close();
      shut.destroy();
      expect(connected).to.deep.equal(['/complete', '/error', '/client', '/shutdown']);
      expect(reasons).to.deep.equal([
        ['/complete', 'complete'],
        ['/error', 'error'],
        ['/client', 'client'],
        ['/shutdown', 'shutdown'],
      ]);
    });

    it('should log a hook that throws and carry on', async () => {
      const listener = sse(() => of({ data: 1 }), {
        onConnect: () => {
          throw new Error('hook bug');
        },
      });
      const { origin } = await listen(listener);
      expect((await fetchRaw(origin)).body).to.equal('data: 1\n\n');
      expect(t.logged.calledOnce).to.equal(true);
      expect((t.logged.firstCall.args[1] as Error).message).to.equal(
        'rx-sse: a connect or disconnect hook threw',
      );
    });
  });
}
