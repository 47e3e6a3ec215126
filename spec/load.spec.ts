import { expect } from 'chai';
import { get } from 'node:http';
import { createConnection } from 'node:net';
import { createParser } from 'eventsource-parser';
import { concat, interval, map, Observable, of, take, throwError } from 'rxjs';
import { HttpError, sse, type SseEvent, type SseHandler } from 'rx-sse';
import { useFixture } from './support/fixture.js';
import { startServer, waitFor } from './support/server.js';

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
const resources = (kind: string) =>
  process.getActiveResourcesInfo().filter((r) => r === kind).length;

/** Opens a raw connection, sends a GET, resolves at the first byte back, then aborts. */
function connectThenAbort(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

describe('load: churn and faults (127.0.0.1, bounded)', function () {
  this.timeout(180_000);
  const t = useFixture();

  it('should leave nothing behind after 10,000 connect-then-abort cycles', async () => {
    let open = 0;
    const listener = sse(
      () =>
        new Observable<SseEvent>(() => {
          open++;
          return () => open--;
        }),
    );
    t.server = await startServer(listener);
    const port = Number(new URL(t.server.origin).port);
    // Warm up, so lazily made internals do not count as growth.
    await Promise.all(Array.from({ length: 200 }, () => connectThenAbort(port)));
    await waitFor(() => open === 0, 'the warm-up to end');
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const timersBefore = resources('Timeout');
    const socketsBefore = resources('TCPSocketWrap');
    const listenersBefore =
      t.server.server.listenerCount('connection') + t.server.server.listenerCount('request');

    const cycles = 10_000;
    const batch = 250;
    const started = Date.now();
    for (let done = 0; done < cycles; done += batch) {
      await Promise.all(Array.from({ length: batch }, () => connectThenAbort(port)));
    }
    await waitFor(
      () => open === 0 && listener.stats.open === 0,
      'every subscription to end',
      10_000,
    );
    await waitFor(
      () => resources('TCPSocketWrap') <= socketsBefore,
      'every socket to close',
      10_000,
    );
    gc();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    console.log(
      `      ${cycles} cycles in ${Date.now() - started} ms; heap ${(growth / 1024 / 1024).toFixed(1)} MiB over the baseline`,
    );
    expect(listener.stats.opened).to.equal(cycles + 200);
    expect(resources('Timeout')).to.be.at.most(timersBefore);
    expect(
      t.server.server.listenerCount('connection') + t.server.server.listenerCount('request'),
    ).to.equal(listenersBefore);
    expect(growth).to.be.below(8 * 1024 * 1024);
    expect(t.logged.called).to.equal(false);
  });

  it('should keep 1,000 requests mixing every failure apart from the healthy streams among them', async () => {
    const unhandled: unknown[] = [];
    const record = (error: unknown) => unhandled.push(error);
    process.on('unhandledRejection', record);
    process.on('uncaughtException', record);
    const events = (n: number) =>
      interval(1).pipe(
        take(n),
        map((i) => ({ id: i, data: i })),
      );
    const kinds: Record<
      string,
      { handler: SseHandler; status: number; events: number; error: boolean }
    > = {
      ok: { handler: () => events(20), status: 200, events: 20, error: false },
      throw: {
        handler: () => {
          throw new Error('thrown');
        },
        status: 500,
        events: 0,
        error: true,
      },
      reject: {
        handler: () => Promise.reject(new Error('rejected')),
        status: 500,
        events: 0,
        error: true,
      },
      refuse: {
        handler: () => Promise.reject(new HttpError(429)),
        status: 429,
        events: 0,
        error: false,
      },
      late: {
        handler: () =>
          concat(
            events(5),
            throwError(() => new Error('late')),
          ),
        status: 200,
        events: 5,
        error: true,
      },
      forged: {
        handler: () => concat(events(3), of({ event: 'x\ny' })),
        status: 200,
        events: 3,
        error: true,
      },
      bigint: {
        handler: () => concat(events(3), of({ data: 1n })),
        status: 200,
        events: 3,
        error: true,
      },
      impostor: {
        handler: (() => 'no') as unknown as SseHandler,
        status: 500,
        events: 0,
        error: true,
      },
      vanish: { handler: () => events(1000), status: 200, events: -1, error: false },
      teardown: {
        handler: () =>
          concat(
            events(2),
            new Observable<SseEvent>(() => () => {
              throw new Error('teardown');
            }),
          ),
        status: 200,
        events: -1,
        error: true,
      },
    };
    const listener = sse((ctx) => kinds[ctx.url.pathname.slice(1)]!.handler(ctx), {
      heartbeat: 50,
    });
    t.server = await startServer(listener);
    const names = Object.keys(kinds);
    const request = (name: string) =>
      new Promise<{ name: string; status: number; ids: number[] }>((resolve, reject) => {
        const ids: number[] = [];
        const req = get(`${t.server!.origin}/${name}`, { agent: false }, (res) => {
          const parser = createParser({ onEvent: (event) => ids.push(Number(event.id)) });
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            parser.feed(chunk);
            // The clients that leave do so mid-stream, after a few events.
            if ((name === 'vanish' || name === 'teardown') && ids.length >= 2) req.destroy();
          });
          res.on('close', () => resolve({ name, status: res.statusCode ?? 0, ids }));
        });
        req.on('error', (error: NodeJS.ErrnoException) =>
          error.code === 'ECONNRESET' ? resolve({ name, status: 200, ids }) : reject(error),
        );
      });
    const results: Awaited<ReturnType<typeof request>>[] = [];
    for (let batch = 0; batch < 10; batch++) {
      results.push(
        ...(await Promise.all(
          Array.from({ length: 100 }, (_, i) => request(names[i % names.length]!)),
        )),
      );
    }
    await waitFor(() => listener.stats.open === 0, 'every stream to end', 10_000);
    process.off('unhandledRejection', record);
    process.off('uncaughtException', record);

    expect(unhandled).to.deep.equal([]);
    for (const { name, status, ids } of results) {
      const kind = kinds[name]!;
      expect(status, name).to.equal(kind.status);
      if (kind.events >= 0)
        expect(ids, name).to.deep.equal(Array.from({ length: kind.events }, (_, i) => i));
    }
    const expectedErrors = results.filter(({ name }) => kinds[name]!.error).length;
    expect(listener.stats.errors).to.equal(expectedErrors);
    expect(t.logged.callCount).to.equal(expectedErrors);
  });
});
