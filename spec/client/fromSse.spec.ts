import { expect } from 'chai';
import { firstValueFrom, lastValueFrom, map, Observable, take, toArray } from 'rxjs';
import { HttpError, sse, type EndReason, type SseEvent } from 'rx-sse';
import { fromSse, SseResponseError } from 'rx-sse/client';
import { useFixture } from '../support/fixture.js';
import { startServer, waitFor } from '../support/server.js';

describe('fromSse', function () {
  this.timeout(30_000);
  const t = useFixture();

  it('should read the events of an rx-sse stream, typed, with ids, data decoded', async () => {
    t.server = await startServer(
      sse(
        () =>
          new Observable<SseEvent>((subscriber) => {
            subscriber.next({ event: 'tick', id: 1, data: { n: 1 } });
            subscriber.next({ data: 'plain' });
          }),
      ),
    );
    const got = await firstValueFrom(
      fromSse(t.server.origin, { decode: (d) => d.toUpperCase() }).pipe(take(2), toArray()),
    );
    expect(got).to.deep.equal([
      { event: 'tick', data: '{"N":1}', id: '1', lastEventId: '1' },
      { event: 'message', data: 'PLAIN', id: undefined, lastEventId: '1' },
    ]);
  });

  it('should reconnect after the stream ends, after retry, with Last-Event-ID, and stop at a 204', async () => {
    const seen: (string | undefined)[] = [];
    t.server = await startServer(
      sse(
        (ctx) => {
          seen.push(ctx.lastEventId);
          const from = Number(ctx.lastEventId ?? '0');
          if (from >= 6) throw new HttpError(204);
          return new Observable<SseEvent>((subscriber) => {
            for (let i = from + 1; i <= from + 3; i++) subscriber.next({ id: i, data: String(i) });
            subscriber.complete();
          });
        },
        { retry: 20 },
      ),
    );
    const data: string[] = [];
    let failure: unknown;
    await lastValueFrom(fromSse(t.server.origin, { retry: 60_000 })).catch((error: unknown) => {
      failure = error;
    });
    // The server's retry: 20 replaced the client's 60 s, or this would not have finished.
    await lastValueFrom(
      fromSse(t.server.origin, { lastEventId: '3' }).pipe(map((m) => data.push(m.data))),
    ).catch(() => undefined);
    expect(seen).to.deep.equal([undefined, '3', '6', '3', '6']);
    expect(failure).to.be.instanceOf(SseResponseError);
    expect((failure as SseResponseError).status).to.equal(204);
    expect(data).to.deep.equal(['4', '5', '6']);
  });

  for (const [what, status, type, message] of [
    ['a 500', 500, 'text/plain', /answered 500/],
    ['a 404', 404, 'text/plain', /answered 404/],
    ['another content type', 200, 'application/json', /not text\/event-stream/],
  ] as const) {
    it(`should stop with an SseResponseError on ${what}`, async () => {
      let requests = 0;
      t.server = await startServer((_, res) => {
        requests++;
        res.writeHead(status, { 'Content-Type': type });
        res.end('{}');
      });
      let failure: unknown;
      await lastValueFrom(fromSse(t.server.origin, { retry: 1 })).catch(
        (e: unknown) => (failure = e),
      );
      expect(failure).to.be.instanceOf(SseResponseError);
      expect(String(failure)).to.match(message);
      expect(requests).to.equal(1);
    });
  }

  it('should send its headers, and abort the request when unsubscribed (the server sees the client go)', async () => {
    const reasons: EndReason[] = [];
    let authorization: string | undefined;
    t.server = await startServer(
      sse(
        (ctx) => {
          authorization = ctx.request.headers.get('authorization') ?? undefined;
          return new Observable<SseEvent>((subscriber) => subscriber.next({ data: 'hi' }));
        },
        { onDisconnect: (_, reason) => reasons.push(reason) },
      ),
    );
    const subscription = fromSse(t.server.origin, {
      headers: { Authorization: 'Bearer x' },
    }).subscribe();
    await waitFor(() => authorization !== undefined, 'the request');
    subscription.unsubscribe();
    await waitFor(() => reasons.length === 1, 'the server to see the client go');
    expect(authorization).to.equal('Bearer x');
    expect(reasons).to.deep.equal(['client']);
  });

  it('should give up after maxReconnects failures in a row, with the last error', async () => {
    const server = await startServer(() => undefined);
    const origin = server.origin;
    await server.close(); // nothing listens there now
    const attempts: number[] = [];
    let failure: unknown;
    await lastValueFrom(
      fromSse(origin, {
        retry: 5,
        maxReconnects: 3,
        backoff: (attempt, retry) => {
          attempts.push(attempt);
          return retry * attempt;
        },
      }),
    ).catch((e: unknown) => (failure = e));
    expect(attempts).to.deep.equal([1, 2, 3]);
    expect(String(failure)).to.match(/gave up after 3 reconnections/);
    expect(String((failure as Error).cause)).to.match(/fetch failed/);
  });

  it('should error (and stop) when decode throws', async () => {
    t.server = await startServer(
      sse(() => new Observable<SseEvent>((s) => s.next({ data: 'not json' }))),
    );
    let failure: unknown;
    await lastValueFrom(fromSse(t.server.origin, { decode: JSON.parse })).catch(
      (e: unknown) => (failure = e),
    );
    expect(String(failure)).to.match(/decode failed on "not json"/);
  });

  it('should send back the id set at any blank line: without data, emptied, or beyond Latin-1', async () => {
    const sent: (string | undefined)[] = [];
    const streams = ['id: 1\ndata: a\n\nid: 2\n\n', 'id\n\n', 'id: é✓\ndata: b\n\n', ''];
    t.server = await startServer((req, res) => {
      const header = req.headers['last-event-id'];
      sent.push(
        typeof header === 'string' ? Buffer.from(header, 'latin1').toString('utf8') : undefined,
      );
      const body = streams[sent.length - 1];
      if (body === undefined || body === '') {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
      res.end(body);
    });
    await lastValueFrom(fromSse(t.server.origin, { retry: 1 })).catch(() => undefined);
    expect(sent).to.deep.equal([undefined, '2', undefined, 'é✓']);
  });

  it('should replace the client’s own headers whatever their case, and take a Headers object', async () => {
    const seen: Record<string, string | string[] | undefined>[] = [];
    t.server = await startServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(seen.length === 1 ? 200 : 204, { 'Content-Type': 'text/event-stream' });
      res.end(seen.length === 1 ? 'id: 7\ndata: x\n\n' : undefined);
    });
    const headers = new Headers({
      accept: 'application/json',
      'last-event-id': '1',
      authorization: 'a',
    });
    await lastValueFrom(fromSse(t.server.origin, { headers, retry: 1 })).catch(() => undefined);
    expect(seen[0]).to.include({
      accept: 'text/event-stream',
      authorization: 'a',
      'cache-control': 'no-cache',
    });
    expect(seen[0]!['last-event-id']).to.equal(undefined);
    expect(seen[1]).to.include({ accept: 'text/event-stream', 'last-event-id': '7' });
  });

  it('should stop decoding once unsubscribed, even within one chunk', async () => {
    t.server = await startServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: 1\n\ndata: 2\n\ndata: 3\n\n');
    });
    let calls = 0;
    const decode = (d: string) => {
      calls++;
      return d;
    };
    await firstValueFrom(fromSse(t.server.origin, { decode }));
    expect(calls).to.equal(1);
  });

  it('should refuse a content type that only starts like text/event-stream', async () => {
    t.server = await startServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream-v2' });
      res.end('data: x\n\n');
    });
    let failure: unknown;
    await lastValueFrom(fromSse(t.server.origin)).catch((e: unknown) => (failure = e));
    expect(failure).to.be.instanceOf(SseResponseError);
  });

  it('should error, not crash or spin, when backoff throws or returns no delay', async () => {
    const server = await startServer(() => undefined);
    const origin = server.origin;
    await server.close(); // nothing listens there now: a network failure, retried
    for (const [backoff, message] of [
      [
        () => {
          throw new Error('boom');
        },
        /backoff threw/,
      ],
      [() => Number.NaN, /backoff must return/],
    ] as const) {
      let failure: unknown;
      await lastValueFrom(fromSse(origin, { retry: 1, backoff })).catch(
        (e: unknown) => (failure = e),
      );
      expect(String(failure)).to.match(message);
    }
  });

  it('should cap a server retry at the longest timer (2^31 - 1 ms) instead of overflowing it', async () => {
    let requests = 0;
    t.server = await startServer((_, res) => {
      if (++requests > 1) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end('retry: 4294967296\ndata: x\n\n');
    });
    const asked: number[] = [];
    await lastValueFrom(
      fromSse(t.server.origin, {
        backoff: (_, retry) => {
          asked.push(retry);
          return 1;
        },
      }),
    ).catch(() => undefined);
    expect(asked[0]).to.equal(2 ** 31 - 1);
  });

  for (const [what, call, message] of [
    ['a bad url', () => fromSse('not a url'), /Invalid URL/],
    [
      'an unknown option',
      () => fromSse('http://x/', { timeout: 1 } as never),
      /unknown option "timeout"/,
    ],
    ['a bad retry', () => fromSse('http://x/', { retry: -1 }), /retry must be/],
    ['a bad decode', () => fromSse('http://x/', { decode: 'json' as never }), /decode must be/],
    [
      'a Last-Event-ID with a line break',
      () => fromSse('http://x/', { lastEventId: 'a\nb' }),
      /lastEventId must be/,
    ],
    [
      'a bad header name',
      () => fromSse('http://x/', { headers: { 'Bad Name': 'x' } }),
      /header name/i,
    ],
    ['credentials in the url', () => fromSse('http://u:p@x/'), /credentials/],
    [
      'a retry past the longest timer',
      () => fromSse('http://x/', { retry: 2 ** 40 }),
      /retry must be an integer from 0 to 2147483647/,
    ],
  ] as const) {
    it(`should refuse ${what} with a TypeError that names it`, () => {
      expect(call).to.throw(TypeError, message);
    });
  }
});
