import { expect } from 'chai';
import {
  asyncScheduler,
  firstValueFrom,
  lastValueFrom,
  map,
  Observable,
  take,
  timer,
  toArray,
} from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { sse, type SseEvent } from 'rx-sse';
import { fromSse, SseReadTimeoutError, SseResponseError } from 'rx-sse/client';
import { useFixture } from '../support/fixture.js';
import { startServer } from '../support/server.js';

describe('fromSse: readTimeout', function () {
  this.timeout(10_000);
  const t = useFixture();

  it('should take a connection silent for readTimeout for dropped: abort it and reconnect with the last id', async () => {
    const sent: (string | undefined)[] = [];
    const closed: number[] = [];
    t.server = await startServer((req, res) => {
      const n = sent.push(req.headers['last-event-id'] as string | undefined);
      res.on('close', () => closed.push(n));
      if (n > 1) {
        res.writeHead(204).end();
        return;
      }
      // Then silence, as from a peer gone without a FIN: the socket stays open.
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).write('id: 1\ndata: a\n\n');
    });
    const data: string[] = [];
    let failure: unknown;
    await lastValueFrom(
      fromSse(t.server.origin, { readTimeout: 300, retry: 1 }).pipe(map((m) => data.push(m.data))),
    ).catch((e: unknown) => (failure = e));
    expect(data).to.deep.equal(['a']);
    expect(sent).to.deep.equal([undefined, '1']);
    expect(closed[0]).to.equal(1); // the client aborted the silent request before the next
    expect(failure).to.be.instanceOf(SseResponseError);
  });

  it('should count the wait for the head, and name the timeout past maxReconnects', async () => {
    let requests = 0;
    // Never answers.
    t.server = await startServer(() => {
      requests++;
    });
    let failure: unknown;
    await lastValueFrom(
      fromSse(t.server.origin, { readTimeout: 50, retry: 1, maxReconnects: 1 }),
    ).catch((e: unknown) => (failure = e));
    expect(requests).to.equal(2);
    expect(String(failure)).to.match(/gave up after 1 reconnections/);
    const cause = (failure as Error).cause;
    expect(cause).to.be.instanceOf(SseReadTimeoutError);
    expect(cause).to.include({ code: 'ERR_SSE_READ_TIMEOUT', timeout: 50 });
    expect(String(cause)).to.match(/no byte arrived for 50 ms \(readTimeout\)/);
  });

  it('should be kept alive by the heartbeats of an rx-sse server', async () => {
    let requests = 0;
    t.server = await startServer(
      sse(
        () => {
          requests++;
          return new Observable<SseEvent>((subscriber) =>
            // The one event comes long after the timeout, so only heartbeats keep the line alive.
            timer(1200).subscribe(() => subscriber.next({ data: 'late' })),
          );
        },
        { heartbeat: 50 },
      ),
    );
    const message = await firstValueFrom(fromSse(t.server.origin, { readTimeout: 400 }));
    expect(message.data).to.equal('late');
    expect(requests).to.equal(1);
  });

  it('should schedule one timer per connection, not one per chunk', async () => {
    let schedules = 0;
    const counting: SchedulerLike = {
      now: () => asyncScheduler.now(),
      schedule: (...args: Parameters<SchedulerLike['schedule']>) => {
        schedules++;
        return asyncScheduler.schedule(...args);
      },
    };
    t.server = await startServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      let i = 0;
      const tick = setInterval(() => {
        res.write(`data: ${String(i)}\n\n`);
        if (++i === 100) clearInterval(tick);
      }, 1);
      res.on('close', () => clearInterval(tick));
    });
    const got = await lastValueFrom(
      fromSse(t.server.origin, { readTimeout: 60_000 }, counting).pipe(take(100), toArray()),
    );
    expect(got).to.have.length(100);
    expect(schedules).to.equal(1);
  });

  for (const value of [0, -1, 1.5, true, 2 ** 31]) {
    it(`should refuse readTimeout ${String(value)} with a TypeError naming it`, () => {
      expect(() => fromSse('http://x/', { readTimeout: value as never })).to.throw(
        TypeError,
        /options\.readTimeout \(false, or ms\) must be an integer from 1 to 2147483647/,
      );
    });
  }
});
