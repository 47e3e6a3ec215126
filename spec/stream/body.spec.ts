import { expect } from 'chai';
import { request, type IncomingHttpHeaders } from 'node:http';
import { from, NEVER } from 'rxjs';
import { sse, type SseContext } from 'rx-sse';
import { doors } from '../support/doors.js';
import { parseEvents } from '../support/server.js';
import { useDoor } from '../support/stream.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * Sends one request with `body` (written in `chunks` pieces when given, without a Content-Length:
 * chunked) and reads the whole answer. Resolves once the answer has ended, whatever the server did
 * with the rest of the body, so a 413 that never reaches the client fails the test.
 */
function send(
  url: string,
  method: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  chunks = 1,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      });
    });
    req.on('error', reject);
    const bytes = Buffer.from(body);
    const size = Math.ceil(bytes.length / chunks);
    for (let at = 0; at < bytes.length; at += size) req.write(bytes.subarray(at, at + size));
    req.end();
  });
}

/** A handler that streams back each word of a JSON `{ prompt }`, then `done`. */
async function echo(ctx: SseContext) {
  const { prompt } = (await ctx.json()) as { prompt: string };
  return from([
    ...prompt.split(' ').map((word) => ({ event: 'token', data: word })),
    { event: 'done', data: '' },
  ]);
}

for (const door of doors) {
  describe(`sse: streams started with a body (${door} door)`, () => {
    const d = useDoor(door);

    it('should serve a POST with a JSON body as a stream when methods allow it', async () => {
      const origin = await d.serve(echo, { methods: ['GET', 'POST'] });
      const answer = await send(origin, 'POST', JSON.stringify({ prompt: 'to be or not' }), {
        'Content-Type': 'application/json',
      });
      expect(answer.status).to.equal(200);
      expect(answer.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(parseEvents(answer.body).map((e) => [e.event, e.data])).to.deep.equal([
        ['token', 'to'],
        ['token', 'be'],
        ['token', 'or'],
        ['token', 'not'],
        ['done', ''],
      ]);
    });

    it('should read a body sent in many chunks, as text, the same on a second read', async () => {
      const origin = await d.serve(
        async (ctx) => {
          const first = await ctx.text();
          const again = await ctx.text();
          return from([{ data: first }, { data: String(first === again) }]);
        },
        { methods: ['POST'] },
      );
      const text = 'é'.repeat(5000);
      const answer = await send(origin, 'POST', text, { 'Content-Type': 'text/plain' }, 7);
      expect(parseEvents(answer.body).map((e) => e.data)).to.deep.equal([text, 'true']);
    });

    it("should answer a POST 405 naming the methods when methods are left at GET's", async () => {
      const origin = await d.serve(() => NEVER);
      const answer = await send(origin, 'POST', '{}', { 'Content-Type': 'application/json' });
      expect([answer.status, answer.headers.allow]).to.deep.equal([405, 'GET, HEAD']);
    });

    it('should answer a GET 405 when only POST is served', async () => {
      const origin = await d.serve(echo, { methods: ['POST'] });
      const answer = await send(origin, 'GET', '');
      expect([answer.status, answer.headers.allow]).to.deep.equal([405, 'POST']);
    });

    for (const [what, body, headers, status, text] of [
      [
        'JSON of another content type',
        '{"prompt":"x"}',
        { 'Content-Type': 'text/plain' },
        415,
        'Request body must be JSON (Content-Type: application/json)',
      ],
      [
        'a body that is not JSON',
        '{"prompt":',
        { 'Content-Type': 'application/json' },
        400,
        'Request body is not valid JSON',
      ],
      [
        'no body at all',
        '',
        { 'Content-Type': 'application/json' },
        400,
        'Request body is not valid JSON',
      ],
      [
        'bytes that are not UTF-8',
        Buffer.from([0x7b, 0xff, 0x7d]),
        { 'Content-Type': 'application/json' },
        400,
        'Request body is not UTF-8 text',
      ],
    ] as const) {
      it(`should refuse ${what} with ${status} before the stream opens`, async () => {
        let onError = 0;
        const origin = await d.serve(echo, {
          methods: ['POST'],
          onError: () => {
            onError++;
          },
        });
        const answer = await send(origin, 'POST', body, headers);
        expect([answer.status, answer.body]).to.deep.equal([status, text]);
        // An HttpError is an answer, not a fault: onError is not told.
        expect(onError).to.equal(0);
      });
    }

    it('should answer 413 to a body past maxBodyBytes by Content-Length, without reading it', async () => {
      const origin = await d.serve(echo, { methods: ['POST'], maxBodyBytes: 1024 });
      const answer = await send(origin, 'POST', 'x'.repeat(4096), {
        'Content-Type': 'application/json',
      });
      expect([answer.status, answer.body]).to.deep.equal([
        413,
        'Request body larger than 1024 bytes',
      ]);
    });

    it('should answer 413 to a chunked body that grows past maxBodyBytes, and the client receives it', async () => {
      const origin = await d.serve(echo, { methods: ['POST'], maxBodyBytes: 1024 });
      // 4 MiB in 64 pieces, far more than the socket buffers hold: the whole 413 must reach a
      // client that is still sending (the server reads and throws away the rest).
      const answer = await send(
        origin,
        'POST',
        'x'.repeat(4 * 1024 * 1024),
        { 'Content-Type': 'application/json' },
        64,
      );
      expect([answer.status, answer.body]).to.deep.equal([
        413,
        'Request body larger than 1024 bytes',
      ]);
    });

    it("should send the handler's own head headers (ctx.setHeader), over the listener's", async () => {
      const origin = await d.serve(
        async (ctx) => {
          const { prompt } = (await ctx.json()) as { prompt: string };
          ctx.setHeader('Location', `/answers/${prompt}`);
          ctx.setHeader('x-room', 'mine');
          return from([{ data: prompt }]);
        },
        { methods: ['POST'], headers: { 'X-Room': 'listener', 'X-Other': 'kept' } },
      );
      const answer = await send(origin, 'POST', '{"prompt":"7"}', {
        'Content-Type': 'application/json',
      });
      expect(answer.status).to.equal(200);
      expect([
        answer.headers.location,
        answer.headers['x-room'],
        answer.headers['x-other'],
      ]).to.deep.equal(['/answers/7', 'mine', 'kept']);
    });

    it('should refuse a head header a stream cannot carry, and one set once the head is out', async () => {
      const errors: string[] = [];
      const origin = await d.serve((ctx) => {
        for (const [name, value] of [
          ['Content-Type', 'text/plain'],
          ['Connection', 'close'],
          ['X-Bad', 'a\r\nb'],
        ] as const) {
          try {
            ctx.setHeader(name, value);
          } catch (error) {
            errors.push((error as Error).message);
          }
        }
        queueMicrotask(() => {
          try {
            ctx.setHeader('X-Late', '1');
          } catch (error) {
            errors.push((error as Error).message);
          }
        });
        return from([{ data: 'x' }]);
      });
      const answer = await send(origin, 'GET', '');
      expect(answer.status).to.equal(200);
      expect(answer.headers['x-late']).to.equal(undefined);
      expect(errors).to.have.length(4);
      expect(errors[0]).to.match(/Content-Type.*text\/event-stream/);
      expect(errors[1]).to.match(/Connection.*connection headers/);
      expect(errors[2]).to.match(/X-Bad.*not a valid HTTP header/);
      expect(errors[3]).to.match(/X-Late.*the head is out already/);
    });

    it('should allow the listed methods in a CORS preflight', async () => {
      const origin = await d.serve(echo, {
        methods: ['GET', 'POST'],
        cors: { origin: ['https://app.example'] },
      });
      const answer = await send(origin, 'OPTIONS', '', {
        Origin: 'https://app.example',
        'Access-Control-Request-Method': 'POST',
      });
      expect(answer.status).to.equal(204);
      expect(answer.headers['access-control-allow-methods']).to.equal('GET, HEAD, POST');
    });
  });
}

describe('sse: methods and maxBodyBytes at setup', () => {
  for (const [what, options, message] of [
    ['an empty methods list', { methods: [] }, /options\.methods must be a non-empty list/],
    [
      'OPTIONS as a method',
      { methods: ['OPTIONS'] },
      /other than OPTIONS, CONNECT and TRACE \(got string "OPTIONS"\)/,
    ],
    ['a method that is no token', { methods: ['GET POST'] }, /got string "GET POST"/],
    [
      'a negative maxBodyBytes',
      { maxBodyBytes: -1 },
      /options\.maxBodyBytes must be an integer from 0/,
    ],
  ] as const) {
    it(`should refuse ${what} with a TypeError naming it`, () => {
      expect(() => sse(() => NEVER, options)).to.throw(TypeError, message);
    });
  }

  it("should read a test context's body, as a handler would on a server", async () => {
    const { testContext } = await import('rx-sse/testing');
    const ctx = testContext({
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"prompt":"hi"}',
    });
    expect(await ctx.json()).to.deep.equal({ prompt: 'hi' });
    const empty = testContext();
    expect(await empty.text()).to.equal('');
    const error = await empty.json().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.have.property('status', 415);
  });
});
