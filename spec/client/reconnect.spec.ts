import { expect } from 'chai';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { lastValueFrom, takeWhile, toArray } from 'rxjs';
import {
  fromSse,
  SseNotResumableError,
  SseReadTimeoutError,
  type SseReconnectContext,
} from 'rx-sse/client';
import { useFixture } from '../support/fixture.js';
import { startServer } from '../support/server.js';
import { outcome } from '../support/outcome.js';

/** What a test server saw of one request. */
interface Seen {
  method: string | undefined;
  url: string | undefined;
  lastEventId: string | undefined;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

async function see(req: IncomingMessage): Promise<Seen> {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) body += chunk as string;
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  return {
    method: req.method,
    url: req.url,
    lastEventId: header('last-event-id'),
    authorization: header('authorization'),
    contentType: header('content-type'),
    body,
  };
}

/** Writes the events `from` to `to` (ids and data their number), then drops the connection. */
function sendThenDrop(res: ServerResponse, from: number, to: number): void {
  let frames = '';
  for (let i = from; i <= to; i++) frames += `id: ${String(i)}\ndata: ${String(i)}\n\n`;
  // Flushed, then cut without the last chunk: the client's read fails, as on a dropped network.
  res.write(frames, () => res.socket?.destroy());
}

/**
 * A server that records each request in `seen` and answers the first two with one event each
 * (ids 1 and 2), and any later one with 204, which stops a client for good.
 */
function twoThenNoMore(seen: Seen[]): RequestListener {
  return (req, res) => {
    void see(req).then((request) => {
      seen.push(request);
      if (seen.length > 2) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end(`id: ${String(seen.length)}\ndata: x\n\n`);
    });
  };
}

describe('fromSse: reconnecting with another request (reconnect), and POST streams', function () {
  this.timeout(10_000);
  const t = useFixture();

  it('should resume a POST that dropped with a GET of its Location and Last-Event-ID, missing and repeating nothing', async () => {
    const seen: Seen[] = [];
    t.server = await startServer((req, res) => {
      void see(req).then((request) => {
        seen.push(request);
        if (request.method === 'POST' && request.url === '/answers') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream', Location: 'answers/42' });
          sendThenDrop(res, 1, 3);
        } else if (request.method === 'GET' && request.url === '/answers/42') {
          const from = Number(request.lastEventId) + 1;
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          let frames = '';
          for (let i = from; i <= 6; i++) frames += `id: ${String(i)}\ndata: ${String(i)}\n\n`;
          res.end(`${frames}event: end\ndata: \n\n`);
        } else res.writeHead(404).end();
      });
    });
    const contexts: SseReconnectContext[] = [];
    const data = await lastValueFrom(
      fromSse(`${t.server.origin}/answers`, {
        method: 'POST',
        json: { question: 'q' },
        headers: { Authorization: 'Bearer k' },
        retry: 1,
        reconnect: (context) => {
          contexts.push(context);
          return context.location && { url: context.location };
        },
      }).pipe(
        takeWhile((m) => m.event !== 'end'),
        toArray(),
      ),
    );
    expect(data.map((m) => m.data)).to.deep.equal(['1', '2', '3', '4', '5', '6']);
    expect(seen).to.deep.equal([
      {
        method: 'POST',
        url: '/answers',
        lastEventId: undefined,
        authorization: 'Bearer k',
        contentType: 'application/json',
        body: '{"question":"q"}',
      },
      {
        method: 'GET',
        url: '/answers/42',
        lastEventId: '3',
        authorization: 'Bearer k',
        contentType: undefined,
        body: '',
      },
    ]);
    expect(contexts).to.have.length(1);
    expect(contexts[0]).to.include({ lastEventId: '3', attempt: 1 });
    expect(contexts[0]!.response?.status).to.equal(200);
    expect(contexts[0]!.location?.href).to.equal(`${t.server.origin}/answers/42`);
  });

  it('should not POST again when a POST stream drops without reconnect, and error with SseNotResumableError', async () => {
    const seen: Seen[] = [];
    t.server = await startServer((req, res) => {
      void see(req).then((request) => {
        seen.push(request);
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        sendThenDrop(res, 1, 2);
      });
    });
    const { data, error } = await outcome(
      fromSse(t.server.origin, { method: 'POST', body: 'question', retry: 1 }),
    );
    expect(data).to.deep.equal(['1', '2']);
    expect(error).to.be.instanceOf(SseNotResumableError);
    expect(error).to.include({ code: 'ERR_SSE_NOT_RESUMABLE', method: 'POST' });
    expect((error as Error).message).to.match(/the POST stream dropped.*options\.reconnect/);
    expect(String((error as Error).cause)).to.match(/terminated/);
    expect(seen.map((s) => s.method)).to.deep.equal(['POST']);
  });

  it('should not POST again when reconnect returns undefined (no Location to resume at)', async () => {
    let posts = 0;
    t.server = await startServer((req, res) => {
      posts++;
      void see(req).then(() => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        sendThenDrop(res, 1, 1);
      });
    });
    const asked: (URL | undefined)[] = [];
    const { data, error } = await outcome(
      fromSse(t.server.origin, {
        method: 'POST',
        retry: 1,
        reconnect: ({ location }) => {
          asked.push(location);
          return location && { url: location };
        },
      }),
    );
    expect(data).to.deep.equal(['1']);
    expect(asked).to.deep.equal([undefined]);
    expect(error).to.be.instanceOf(SseNotResumableError);
    expect(posts).to.equal(1);
  });

  it('should not POST again when the POST fails before any response', async () => {
    const server = await startServer(() => undefined);
    const origin = server.origin;
    await server.close(); // nothing listens there now
    const { error } = await outcome(fromSse(origin, { method: 'POST', retry: 1 }));
    expect(error).to.be.instanceOf(SseNotResumableError);
    expect(String((error as Error).cause)).to.match(/fetch failed/);
  });

  it('should not POST again when a POST stream goes silent past readTimeout', async () => {
    let posts = 0;
    t.server = await startServer((req, res) => {
      posts++;
      void see(req).then(() => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.write('id: 1\ndata: 1\n\n'); // then nothing: a half-open connection looks like this
      });
    });
    const { data, error } = await outcome(
      fromSse(t.server.origin, { method: 'POST', retry: 1, readTimeout: 100 }),
    );
    expect(data).to.deep.equal(['1']);
    expect(error).to.be.instanceOf(SseNotResumableError);
    expect((error as Error).cause).to.be.instanceOf(SseReadTimeoutError);
    expect(posts).to.equal(1);
  });

  it('should complete, once, when a POST stream ends cleanly without reconnect', async () => {
    let posts = 0;
    t.server = await startServer((req, res) => {
      posts++;
      void see(req).then(() => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.end('data: a\n\ndata: b\n\n');
      });
    });
    const { data, error } = await outcome(fromSse(t.server.origin, { method: 'POST', retry: 1 }));
    expect(error).to.equal(undefined);
    expect(data).to.deep.equal(['a', 'b']);
    expect(posts).to.equal(1);
  });

  it('should POST again only when reconnect asks for it', async () => {
    const seen: Seen[] = [];
    t.server = await startServer(twoThenNoMore(seen));
    await outcome(
      fromSse(t.server.origin, {
        method: 'POST',
        body: 'q',
        retry: 1,
        reconnect: () => ({ method: 'POST', body: 'q again' }),
      }),
    );
    expect(seen.map((s) => [s.method, s.body, s.lastEventId])).to.deep.equal([
      ['POST', 'q', undefined],
      ['POST', 'q again', '1'],
      ['POST', 'q again', '2'],
    ]);
  });

  it('should send a GET stream’s reconnections where reconnect says, with its headers over the options’', async () => {
    const seen: Seen[] = [];
    t.server = await startServer(twoThenNoMore(seen));
    const attempts: number[] = [];
    await outcome(
      fromSse(`${t.server.origin}/live`, {
        headers: { Authorization: 'old' },
        retry: 1,
        reconnect: ({ attempt, lastEventId }) => {
          attempts.push(attempt);
          return { url: `/resume?after=${lastEventId}`, headers: { Authorization: 'new' } };
        },
      }),
    );
    expect(seen.map((s) => [s.method, s.url, s.authorization])).to.deep.equal([
      ['GET', '/live', 'old'],
      ['GET', '/resume?after=1', 'new'],
      ['GET', '/resume?after=2', 'new'],
    ]);
    expect(attempts).to.deep.equal([1, 1]); // each after an event: attempt starts again
  });

  for (const [what, reconnect, message] of [
    [
      'throws',
      () => {
        throw new Error('boom');
      },
      /options\.reconnect threw/,
    ],
    ['returns no object', () => 'GET' as never, /options\.reconnect must return a request/],
    ['returns an unknown field', () => ({ URL: '/x' }) as never, /unknown field "URL"/],
    ['returns a bad method', () => ({ method: 'G T' }), /options\.reconnect's method must be/],
    [
      'returns a body with GET',
      () => ({ body: 'x' }),
      /options\.reconnect's body: fetch sends no body with GET/,
    ],
    [
      'returns another scheme',
      () => ({ url: 'ftp://x/' }),
      /options\.reconnect's url must be http/,
    ],
  ] as const) {
    it(`should error, without reconnecting, when reconnect ${what}`, async () => {
      let requests = 0;
      t.server = await startServer((_, res) => {
        requests++;
        res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('data: x\n\n');
      });
      const { data, error } = await outcome(fromSse(t.server.origin, { retry: 1, reconnect }));
      expect(data).to.deep.equal(['x']);
      expect(String(error) + String((error as Error).cause)).to.match(message);
      expect(requests).to.equal(1);
    });
  }
});
