import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { interval, map, NEVER, Observable } from 'rxjs';
import { sse, type SseEvent, type SseListener } from 'rx-sse';
import { doors } from './support/doors.js';
import { fetchRaw, openStream, waitFor, type OpenStream } from './support/server.js';
import { useDoor } from './support/stream.js';

for (const door of doors) {
  describe(`SseListener.close (${door} door)`, function () {
    this.timeout(60_000);
    const { t, listen } = useDoor(door);

    it('should end 500 open streams with a last event, then let server.close() finish', async () => {
      let subscribed = 0;
      let unsubscribed = 0;
      const listener: SseListener = sse(
        () =>
          new Observable<SseEvent>((subscriber) => {
            subscribed++;
            const sub = interval(20)
              .pipe(map((i) => ({ data: i })))
              .subscribe(subscriber);
            return () => {
              unsubscribed++;
              sub.unsubscribe();
            };
          }),
        { heartbeat: false },
      );
      const server = await listen(listener);
      const readers: OpenStream[] = [];
      for (let batch = 0; batch < 5; batch++) {
        readers.push(
          ...(await Promise.all(Array.from({ length: 100 }, () => openStream(server.origin)))),
        );
      }
      await waitFor(
        () => subscribed === 500 && readers.every((r) => r.events.length > 0),
        'every stream to run',
      );
      await listener.close({ lastEvent: { event: 'bye', data: 'restarting', retry: 2000 } });
      expect(unsubscribed).to.equal(500);
      await Promise.all(readers.map((r) => r.ended));
      for (const { events } of readers) {
        expect(events.at(-1)).to.deep.equal({ event: 'bye', data: 'restarting', id: undefined });
        expect(events.filter((e) => e.event === 'bye')).to.have.length(1);
      }
      const closing = new Promise<void>((resolve, reject) =>
        server.server.close((e) => (e ? reject(e) : resolve())),
      );
      await closing;
      expect(listener.stats.open).to.equal(0);
      t.server = undefined;
    });

    it('should refuse new requests with 503 and Retry-After once closing', async () => {
      const listener = sse(() => NEVER);
      const server = await listen(listener);
      await listener.close();
      const res = await fetchRaw(server.origin);
      if (door === 'node') {
        expect([res.status, res.headers['retry-after'], res.headers.connection]).to.deep.equal([
          503,
          '5',
          'close',
        ]);
      } else {
        // By design the fetch door's 503 has no Connection: close: connections are the runtime's
        // to manage (here node:http under @hono/node-server keeps this one alive).
        expect([res.status, res.headers['retry-after'], res.headers.connection]).to.deep.equal([
          503,
          '5',
          'keep-alive',
        ]);
      }
    });

    it('should answer a request whose handler is still working with 503', async () => {
      let called = false;
      const listener = sse(async () => {
        called = true;
        await new Promise((resolve) => setTimeout(resolve, 50));
        return NEVER;
      });
      const server = await listen(listener);
      const pending = fetchRaw(server.origin);
      await waitFor(() => called, 'the handler');
      await listener.close();
      expect((await pending).status).to.equal(503);
    });

    it('should destroy, after the timeout, a stream whose client does not read', async () => {
      const big = 'z'.repeat(256 * 1024);
      const listener = sse(() => interval(1).pipe(map(() => ({ data: big }))), {
        heartbeat: false,
        maxBufferedBytes: 64 * 1024 * 1024,
      });
      const server = await listen(listener);
      const res = await new Promise<IncomingMessage>((resolve) =>
        get(server.origin, { agent: false }, resolve),
      );
      res.pause();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      await listener.close({ timeout: 300 });
      expect(Date.now() - started).to.be.within(250, 2000);
      expect(listener.stats.open).to.equal(0);
      res.destroy();
    });
  });
}
