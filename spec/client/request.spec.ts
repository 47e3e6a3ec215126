import { expect } from 'chai';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { fromSse, SseResponseError } from 'rx-sse/client';
import { useFixture } from '../support/fixture.js';
import { startServer } from '../support/server.js';
import { outcome } from '../support/outcome.js';

/** What a test server saw of one request. */
interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Reads a request's body whole, as text. */
async function see(req: IncomingMessage): Promise<Seen> {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) body += chunk as string;
  return { method: req.method, url: req.url, headers: req.headers, body };
}

/** A server that records each request in `seen`, body read whole, then sends one `data: ok`. */
function recordThenOk(seen: Seen[]): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void see(req).then((request) => {
      seen.push(request);
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('data: ok\n\n');
    });
  };
}

class ApiError extends Error {
  override name = 'ApiError';
}

describe('fromSse: the request (method, body, json, fetch, validate)', function () {
  this.timeout(10_000);
  const t = useFixture();

  it('should POST a JSON body with its headers and stream the answer back, completing at its end', async () => {
    const seen: Seen[] = [];
    t.server = await startServer((req, res) => {
      void see(req).then((request) => {
        seen.push(request);
        const { question } = JSON.parse(request.body) as { question: string };
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        for (const token of question.split(' ')) res.write(`data: {"token":"${token}"}\n\n`);
        res.end();
      });
    });
    const answer = fromSse<{ token: string }>(`${t.server.origin}/answers`, {
      method: 'post',
      json: { question: 'why is the sky blue' },
      headers: { Authorization: 'Bearer sk-1' },
      decode: JSON.parse,
    });
    const { data, error } = await outcome(answer);
    expect(error).to.equal(undefined); // a POST answer that ended cleanly completes
    expect(data.map((d) => d.token)).to.deep.equal(['why', 'is', 'the', 'sky', 'blue']);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({
      method: 'POST',
      url: '/answers',
      body: '{"question":"why is the sky blue"}',
    });
    expect(seen[0]!.headers).to.include({
      authorization: 'Bearer sk-1',
      'content-type': 'application/json',
      accept: 'text/event-stream',
    });
  });

  for (const [what, body, bytes, type] of [
    ['a string', 'a=1', 'a=1', 'text/plain;charset=UTF-8'],
    ['a Uint8Array', new Uint8Array([104, 105]), 'hi', undefined],
    [
      'a DataView on part of a buffer',
      new DataView(new Uint8Array([0, 104, 105, 0]).buffer, 1, 2),
      'hi',
      undefined,
    ],
    ['an ArrayBuffer', new Uint8Array([104, 105]).buffer, 'hi', undefined],
    [
      'URLSearchParams',
      new URLSearchParams({ q: 'a b' }),
      'q=a+b',
      'application/x-www-form-urlencoded;charset=UTF-8',
    ],
    ['a Blob', new Blob(['{}'], { type: 'application/json' }), '{}', 'application/json'],
  ] as const) {
    it(`should send ${what} as the body, as fetch does`, async () => {
      const seen: Seen[] = [];
      t.server = await startServer(recordThenOk(seen));
      const { data } = await outcome(
        fromSse(t.server.origin, { method: 'PUT', body, retry: 1, maxReconnects: 0 }),
      );
      expect(data[0]).to.equal('ok');
      expect(seen[0]).to.include({ method: 'PUT', body: bytes });
      expect(seen[0]!.headers['content-type']).to.equal(type);
    });
  }

  it('should send the bytes given at the call, even when they change after it', async () => {
    const seen: Seen[] = [];
    t.server = await startServer(recordThenOk(seen));
    const bytes = new TextEncoder().encode('before');
    const stream = fromSse(t.server.origin, { method: 'POST', body: bytes });
    bytes.set(new TextEncoder().encode('after!'));
    await lastValueFrom(stream);
    expect(seen.map((s) => s.body)).to.deep.equal(['before']);
  });

  it('should make every request, reconnections too, through an injected fetch', async () => {
    let requests = 0;
    t.server = await startServer((_, res) => {
      if (++requests > 2) {
        res.writeHead(204).end();
        return;
      }
      res
        .writeHead(200, { 'Content-Type': 'text/event-stream' })
        .end(`id: ${requests}\ndata: x\n\n`);
    });
    const calls: [string, string | undefined, string | null][] = [];
    const counted = (url: string, init: RequestInit): Promise<Response> => {
      calls.push([url, init.method, new Headers(init.headers).get('last-event-id')]);
      return fetch(url, init);
    };
    const { error } = await outcome(fromSse(`${t.server.origin}/s`, { fetch: counted, retry: 1 }));
    expect((error as SseResponseError).status).to.equal(204);
    const url = `${t.server.origin}/s`;
    expect(calls).to.deep.equal([
      [url, 'GET', null],
      [url, 'GET', '1'],
      [url, 'GET', '2'],
    ]);
    expect(requests).to.equal(3);
  });

  it('should read a Response an injected fetch makes up, with no network at all', async () => {
    const fake = (): Promise<Response> =>
      Promise.resolve(
        new Response('event: tick\nid: 9\ndata: {"n":1}\n\n', {
          headers: { 'Content-Type': 'text/event-stream' },
        }),
      );
    const got = await firstValueFrom(
      fromSse('http://example.invalid/', { fetch: fake, decode: JSON.parse }),
    );
    expect(got).to.deep.equal({ event: 'tick', data: { n: 1 }, id: '9', lastEventId: '9' });
  });

  it('should error with a TypeError, not retry, when the injected fetch resolves to no Response', async () => {
    let calls = 0;
    const broken = (() => {
      calls++;
      return Promise.resolve({ ok: true });
    }) as unknown as typeof fetch;
    const { error } = await outcome(fromSse('http://example.invalid/', { fetch: broken }));
    expect(error).to.be.instanceOf(TypeError);
    expect(String(error)).to.match(/options\.fetch must resolve to a Response \(got an object\)/);
    expect(calls).to.equal(1);
  });

  it('should end with what validate throws, as it is, and not reconnect', async () => {
    let requests = 0;
    t.server = await startServer((_, res) => {
      requests++;
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'X-Api-Version': '1' });
      res.end('data: x\n\n');
    });
    const refusal = new ApiError('this client speaks version 2');
    const { data, error } = await outcome(
      fromSse(t.server.origin, {
        retry: 1,
        validate: (response) => {
          if (response.headers.get('x-api-version') !== '2') throw refusal;
        },
      }),
    );
    expect(error).to.equal(refusal);
    expect(data).to.deep.equal([]);
    expect(requests).to.equal(1);
  });

  it('should let an async validate read the JSON error body of a 401 and end with its error', async () => {
    let requests = 0;
    t.server = await startServer((_, res) => {
      requests++;
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end('{"error":{"message":"invalid api key"}}');
    });
    const { error } = await outcome(
      fromSse(t.server.origin, {
        method: 'POST',
        json: {},
        validate: async (response) => {
          if (response.ok) return;
          const { error: problem } = (await response.json()) as { error: { message: string } };
          throw new ApiError(`${String(response.status)}: ${problem.message}`);
        },
      }),
    );
    expect(error).to.be.instanceOf(ApiError);
    expect((error as Error).message).to.equal('401: invalid api key');
    expect(requests).to.equal(1);
  });

  it('should run its own checks after validate returns, and validate each reconnection too', async () => {
    let requests = 0;
    t.server = await startServer((_, res) => {
      if (++requests > 2) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('no');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('data: x\n\n');
    });
    const statuses: number[] = [];
    const { data, error } = await outcome(
      fromSse(t.server.origin, { retry: 1, validate: (r) => void statuses.push(r.status) }),
    );
    expect(data).to.deep.equal(['x', 'x']);
    expect(statuses).to.deep.equal([200, 200, 500]);
    expect(error).to.be.instanceOf(SseResponseError);
    expect((error as SseResponseError).status).to.equal(500);
  });

  it('should error with a TypeError when validate reads the body of a response it accepts', async () => {
    t.server = await startServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('data: x\n\n');
    });
    const { error } = await outcome(
      fromSse(t.server.origin, {
        validate: async (r) => {
          await r.text();
        },
      }),
    );
    expect(error).to.be.instanceOf(TypeError);
    expect(String(error)).to.match(/options\.validate read the body of a response it accepted/);
  });

  it('should stop waiting on validate once unsubscribed, and emit nothing', async () => {
    t.server = await startServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' }).end('data: x\n\n');
    });
    let release!: () => void;
    let called!: () => void;
    const validating = new Promise<void>((resolve) => (called = resolve));
    const got: unknown[] = [];
    const subscription = fromSse(t.server.origin, {
      validate: () => {
        called();
        return new Promise<void>((resolve) => (release = resolve));
      },
    }).subscribe({ next: (m) => got.push(m), error: (e: unknown) => got.push(e) });
    await validating;
    subscription.unsubscribe();
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).to.deep.equal([]);
  });

  for (const [what, options, message] of [
    [
      'a plain object as body',
      { method: 'POST', body: { q: 1 } as never },
      /options\.body must be a string, bytes, a Blob, URLSearchParams or FormData \(got an object\); for JSON, pass it as options\.json \(or JSON\.stringify it and set Content-Type\)/,
    ],
    [
      'a ReadableStream as body',
      // A compile error too (SseRequestBody has no ReadableStream): this is plain JavaScript's case.
      { method: 'POST', body: new ReadableStream() as never },
      /options\.body cannot be a ReadableStream/,
    ],
    ['a body with GET', { body: 'x' }, /options\.body: fetch sends no body with GET/],
    ['json with HEAD', { method: 'head', json: 1 }, /fetch sends no body with HEAD/],
    [
      'both body and json',
      { method: 'POST', body: 'x', json: 1 },
      /options\.body and options\.json exclude each other/,
    ],
    [
      'json with a bigint',
      { method: 'POST', json: { n: 1n } },
      /options\.json cannot be sent as JSON/,
    ],
    ['json with no JSON form', { method: 'POST', json: () => 1 }, /options\.json has no JSON form/],
    ['a method that is no token', { method: 'GE T' }, /options\.method must be an HTTP method/],
    [
      'a method fetch refuses',
      { method: 'connect' },
      /options\.method connect is one fetch refuses to send/,
    ],
    [
      'a fetch that is no function',
      { fetch: 'undici' as never },
      /options\.fetch must be a function/,
    ],
    [
      'a validate that is no function',
      { validate: true as never },
      /options\.validate must be a function/,
    ],
    [
      'a reconnect that is no function',
      { reconnect: {} as never },
      /options\.reconnect must be a function/,
    ],
  ] as const) {
    it(`should refuse ${what} at the call with a TypeError that names it`, () => {
      expect(() => fromSse('http://x/', options)).to.throw(TypeError, message);
    });
  }

  it('should keep an Accept that names text/event-stream among others, and replace any other', async () => {
    const seen: Seen[] = [];
    t.server = await startServer(recordThenOk(seen));
    for (const accept of [
      'application/json, text/event-stream',
      'text/event-stream;q=0.9, */*;q=0.1',
      'text/event-streams',
      'application/json',
    ]) {
      const headers = { Accept: accept };
      await lastValueFrom(fromSse(t.server.origin, { method: 'POST', headers }));
    }
    expect(seen.map((s) => s.headers.accept)).to.deep.equal([
      'application/json, text/event-stream',
      'text/event-stream;q=0.9, */*;q=0.1',
      'text/event-stream',
      'text/event-stream',
    ]);
  });

  it('should take a method in any case, sending the standard ones uppercased, as fetch does', async () => {
    const seen: Seen[] = [];
    t.server = await startServer(recordThenOk(seen));
    for (const method of ['delete', 'PATCH']) {
      await lastValueFrom(
        fromSse(t.server.origin, { method, maxReconnects: 0 }).pipe(take(1), toArray()),
      );
    }
    expect(seen.map((s) => s.method)).to.deep.equal(['DELETE', 'PATCH']);
  });
});
