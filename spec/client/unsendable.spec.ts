import { expect } from 'chai';
import { fromSse, SseRequestError } from 'rx-sse/client';
import { useFixture } from '../support/fixture.js';
import { startServer } from '../support/server.js';
import { outcome } from '../support/outcome.js';

describe('fromSse: a request that can never be sent', function () {
  this.timeout(10_000);
  const t = useFixture();

  for (const [what, line, id, problem] of [
    ['a control character', 'id: a\u0001b', 'a\u0001b', /control character U\+0001/],
    ['DEL', 'id: a\u007f', 'a\u007f', /control character U\+007F/],
    ['a trailing space (Headers would strip it)', 'id: a ', 'a ', /ends with a space/],
  ] as const) {
    it(`should error at once, naming the id, when the server's last id holds ${what}`, async () => {
      let requests = 0;
      t.server = await startServer((_, res) => {
        // A second request would be answered 204, so that sending a changed id fails, not hangs.
        if (++requests > 1) {
          res.writeHead(204).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        res.end(`${line}\ndata: x\n\n`);
      });
      // maxReconnects bounds the old behaviour (retrying in vain) so that it fails, not hangs.
      const { data, error } = await outcome(
        fromSse(t.server.origin, { retry: 1, maxReconnects: 3 }),
      );
      expect(data).to.deep.equal(['x']);
      expect(error).to.be.instanceOf(SseRequestError);
      expect((error as SseRequestError).code).to.equal('ERR_SSE_REQUEST');
      expect((error as Error).message).to.include(
        `the server's last event id ${JSON.stringify(id)} cannot be sent back as Last-Event-ID`,
      );
      expect((error as Error).message).to.match(problem);
      expect(requests).to.equal(1);
    });
  }

  it('should send back an id with a tab inside, or beyond Latin-1, unchanged', async () => {
    const sent: (string | undefined)[] = [];
    t.server = await startServer((req, res) => {
      const header = req.headers['last-event-id'];
      sent.push(
        typeof header === 'string' ? Buffer.from(header, 'latin1').toString('utf8') : undefined,
      );
      if (sent.length > 1) {
        res.writeHead(204).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.end('id: a\tb ✓\u0085\ndata: x\n\n');
    });
    await outcome(fromSse(t.server.origin, { retry: 1 }));
    expect(sent).to.deep.equal([undefined, 'a\tb ✓\u0085']);
  });

  it('should error at once on a port fetch refuses to reach, rather than retry it', async () => {
    const { error } = await outcome(fromSse('http://127.0.0.1:9/', { retry: 1, maxReconnects: 3 }));
    expect(error).to.be.instanceOf(SseRequestError);
    expect((error as Error).message).to.equal(
      'fromSse: http://127.0.0.1:9/: the request cannot be sent: bad port',
    );
    expect(String((error as Error).cause)).to.match(/fetch failed/);
  });

  for (const [what, call, message] of [
    [
      'a lastEventId with a control character',
      () => fromSse('http://x/', { lastEventId: 'a\u0001' }),
      /options\.lastEventId must be a string that goes out as a header value unchanged \(RFC 9110 §5\.5\), but it holds the control character U\+0001 at 1/,
    ],
    [
      'a lastEventId with a leading space',
      () => fromSse('http://x/', { lastEventId: ' 1' }),
      /options\.lastEventId .* starts or ends with a space/,
    ],
    [
      'a lastEventId that is not a string',
      () => fromSse('http://x/', { lastEventId: 7 as never }),
      /options\.lastEventId .* it is not a string \(got number 7\)/,
    ],
    [
      'a header value with a control character',
      () => fromSse('http://x/', { headers: { 'X-Token': 'a\u0001' } }),
      /options\.headers: the value of "x-token" cannot be sent: it holds the control character U\+0001/,
    ],
    ['a scheme fetch cannot read', () => fromSse('ftp://x/'), /url must be http: or https:/],
  ] as const) {
    it(`should refuse ${what} at the call with a TypeError that names it`, () => {
      expect(call).to.throw(TypeError, message);
    });
  }

  it('should take a lastEventId with a tab inside', () => {
    expect(() => fromSse('http://x/', { lastEventId: 'a\tb' })).not.to.throw();
  });
});
