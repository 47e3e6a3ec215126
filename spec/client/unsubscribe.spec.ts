import { expect } from 'chai';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  lastValueFrom,
  queueScheduler,
  Subject,
  takeUntil,
  VirtualAction,
  VirtualTimeScheduler,
} from 'rxjs';
import { fromSse } from 'rx-sse/client';
import { useFixture } from '../support/fixture.js';
import { startServer, waitFor } from '../support/server.js';

/** What a server saw: each request in order, and which of them the client closed. */
interface Seen {
  requests: number;
  closed: number[];
}

/**
 * A server whose first answer is `first`, and whose later answers never end (the server):
 * a request the client forgets to abort stays open there for ever.
 */
function server(first: (res: ServerResponse) => void): {
  seen: Seen;
  listener: (req: IncomingMessage, res: ServerResponse) => void;
} {
  const seen: Seen = { requests: 0, closed: [] };
  const listener = (_: IncomingMessage, res: ServerResponse): void => {
    const n = ++seen.requests;
    res.on('close', () => seen.closed.push(n));
    if (n === 1) first(res);
    else res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write(': open\n\n');
  };
  return { seen, listener };
}

const ends = (res: ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('data: 1\n\n');
};
const cut = (res: ServerResponse): void => {
  res.socket?.destroy();
};
const stalls = (res: ServerResponse): void => {
  res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('data: 1\n\ndata: 2\n\n');
};

// Time runs only when a test flushes this scheduler: what is left in its queue after the
// Observable closed is exactly the timers the client forgot, and a forgotten reconnection is one.
const virtual = (): VirtualTimeScheduler => new VirtualTimeScheduler(VirtualAction, Infinity);

describe('fromSse: unsubscribing at any moment', function () {
  this.timeout(10_000);
  const t = useFixture();

  for (const [how, first] of [
    ['after the stream ended', ends],
    ['after a network failure', cut],
  ] as const) {
    it(`should schedule no reconnection when backoff ends the subscription (${how})`, async () => {
      const { seen, listener } = server(first);
      t.server = await startServer(listener);
      const scheduler = virtual();
      const stop = new Subject<void>();
      const attempts: number[] = [];
      await lastValueFrom(
        fromSse(
          t.server.origin,
          {
            retry: 50,
            backoff: (attempt, retry) => {
              attempts.push(attempt);
              stop.next();
              return retry;
            },
          },
          scheduler,
        ).pipe(takeUntil(stop)),
        { defaultValue: 'completed' },
      );
      expect(attempts).to.deep.equal([1]);
      // The only way to a second request is a scheduled action, and there is none.
      expect(scheduler.actions).to.deep.equal([]);
      expect(seen.requests).to.equal(1);
    });
  }

  it('should abort a reconnection made at once by a synchronous scheduler (queueScheduler, retry 0)', async () => {
    const { seen, listener } = server(ends);
    t.server = await startServer(listener);
    const subscription = fromSse(t.server.origin, { retry: 0 }, queueScheduler).subscribe();
    await waitFor(() => seen.requests === 2, 'the reconnection');
    subscription.unsubscribe();
    await waitFor(() => seen.closed.includes(2), 'the server to see the second request aborted');
    expect(seen.closed).to.deep.equal([1, 2]);
  });

  it('should abort the request and leave no timer when decode ends the subscription mid-body', async () => {
    const { seen, listener } = server(stalls);
    t.server = await startServer(listener);
    const scheduler = virtual();
    const stop = new Subject<void>();
    const decoded: string[] = [];
    await lastValueFrom(
      fromSse(
        t.server.origin,
        {
          readTimeout: 60_000,
          decode: (data) => {
            decoded.push(data);
            stop.next();
            return data;
          },
        },
        scheduler,
      ).pipe(takeUntil(stop)),
      { defaultValue: 'completed' },
    );
    await waitFor(() => seen.closed.includes(1), 'the server to see the request aborted');
    expect(decoded).to.deep.equal(['1']);
    expect(scheduler.actions).to.deep.equal([]);
  });

  it('should abort the request, with no timer left, when unsubscribed before the head', async () => {
    const { seen, listener } = server(() => undefined);
    t.server = await startServer(listener);
    const scheduler = virtual();
    const subscription = fromSse(t.server.origin, { readTimeout: 60_000 }, scheduler).subscribe();
    await waitFor(() => seen.requests === 1, 'the request');
    expect(scheduler.actions).to.have.length(1); // the read timeout
    subscription.unsubscribe();
    await waitFor(() => seen.closed.includes(1), 'the server to see the request aborted');
    expect(scheduler.actions).to.deep.equal([]);
  });

  it('should cancel the wait before a reconnection when unsubscribed during it', async () => {
    const { seen, listener } = server(ends);
    t.server = await startServer(listener);
    const scheduler = virtual();
    const waits: number[] = [];
    const subscription = fromSse(
      t.server.origin,
      { retry: 50, backoff: (_, retry) => (waits.push(retry), retry) },
      scheduler,
    ).subscribe();
    await waitFor(() => waits.length === 1, 'the stream to end and the wait to start');
    expect(scheduler.actions.map((action) => action.delay)).to.deep.equal([50]);
    subscription.unsubscribe();
    expect(scheduler.actions).to.deep.equal([]);
    expect(seen.requests).to.equal(1);
  });

  for (const [what, answer, options, message] of [
    [
      'a status other than 200',
      (res: ServerResponse) => res.writeHead(500).end('no'),
      {},
      /answered 500/,
    ],
    [
      'a decode that throws',
      stalls,
      {
        decode: (data: string): string => {
          throw new Error(`no ${data}`);
        },
      },
      /decode failed on "1"/,
    ],
  ] as const) {
    it(`should abort the request and leave no timer when it errors on ${what}`, async () => {
      const { seen, listener } = server(answer);
      t.server = await startServer(listener);
      const scheduler = virtual();
      let failure: unknown;
      await lastValueFrom(
        fromSse(t.server.origin, { readTimeout: 60_000, ...options }, scheduler),
      ).catch((e: unknown) => (failure = e));
      expect(String(failure)).to.match(message);
      await waitFor(() => seen.closed.includes(1), 'the server to see the request closed');
      expect(scheduler.actions).to.deep.equal([]);
      expect(seen.requests).to.equal(1);
    });
  }
});
