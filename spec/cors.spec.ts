import { expect } from 'chai';
import { request } from 'node:http';
import { of } from 'rxjs';
import { sse, type SseOptions } from 'rx-sse';
import { doors } from './support/doors.js';
import { fetchRaw, type RawResponse } from './support/server.js';
import { useDoor } from './support/stream.js';

function preflight(url: string, origin: string, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': method,
          'Access-Control-Request-Headers': 'last-event-id',
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' }),
        );
      },
    );
    req.on('error', reject).end();
  });
}

for (const door of doors) {
  describe(`sse cors (${door} door)`, () => {
    const d = useDoor(door);

    function serve(cors: SseOptions['cors']): Promise<string> {
      return d.serve(() => of({ data: 'hi' }), { cors });
    }

    it('should send no CORS header by default, whatever the Origin', async () => {
      const origin = await d.serve(() => of({ data: 'hi' }));
      const res = await fetchRaw(origin, { Origin: 'https://evil.example' });
      expect(res.status).to.equal(200);
      expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it('should allow a listed origin by name, with Vary: Origin', async () => {
      const origin = await serve({ origin: ['https://app.example'] });
      const res = await fetchRaw(origin, { Origin: 'https://app.example' });
      expect(res.status).to.equal(200);
      expect(res.headers).to.include({
        'access-control-allow-origin': 'https://app.example',
        vary: 'Origin',
      });
      expect(res.body).to.equal('data: hi\n\n');
    });

    it('should refuse an unlisted origin with 403 and never echo it', async () => {
      const origin = await serve({ origin: ['https://app.example'] });
      const res = await fetchRaw(origin, { Origin: 'https://evil.example' });
      expect([res.status, res.body]).to.deep.equal([403, 'Origin not allowed']);
      expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it('should serve a request without Origin (same-origin or not a browser) with no CORS headers', async () => {
      const origin = await serve({ origin: ['https://app.example'] });
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(200);
      expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it("should send '*' for any origin when told to", async () => {
      const origin = await serve({ origin: '*' });
      const res = await fetchRaw(origin, { Origin: 'https://anyone.example' });
      expect(res.headers['access-control-allow-origin']).to.equal('*');
      expect(res.headers.vary).to.equal(undefined);
    });

    it('should let a function decide, and support credentials', async () => {
      const origin = await serve({
        origin: (o) => o.endsWith('.corp.example'),
        credentials: true,
        exposeHeaders: ['X-Trace'],
      });
      const ok = await fetchRaw(origin, { Origin: 'https://a.corp.example' });
      expect(ok.headers).to.include({
        'access-control-allow-origin': 'https://a.corp.example',
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'X-Trace',
      });
      expect((await fetchRaw(origin, { Origin: 'https://corp.example.evil' })).status).to.equal(
        403,
      );
    });

    it('should answer an allowed preflight with 204 and the methods, headers and max age', async () => {
      const origin = await serve({ origin: ['https://app.example'], maxAge: 60 });
      const res = await preflight(origin, 'https://app.example');
      expect(res.status).to.equal(204);
      expect(res.headers).to.include({
        'access-control-allow-origin': 'https://app.example',
        'access-control-allow-methods': 'GET, HEAD',
        'access-control-allow-headers': 'Last-Event-ID, Authorization',
        'access-control-max-age': '60',
      });
    });

    it('should refuse a preflight from an unlisted origin', async () => {
      const origin = await serve({ origin: ['https://app.example'] });
      const res = await preflight(origin, 'https://evil.example');
      expect(res.status).to.equal(403);
      expect(res.headers['access-control-allow-origin']).to.equal(undefined);
    });
  });
}

// Checked when sse() is called, before either door serves anything.
describe('sse cors: options', () => {
  const bad: [string, SseOptions['cors'], RegExp][] = [
    ["'*' with credentials", { origin: '*', credentials: true }, /'\*' cannot go with credentials/],
    [
      'an origin with a path',
      { origin: ['https://app.example/'] },
      /entries must be origins .* \(got string "https:\/\/app.example\/"\)/,
    ],
    ['an origin that is not a URL', { origin: ['app.example'] }, /entries must be origins/],
    [
      'a bad header name',
      { origin: '*', allowHeaders: ['Last Event'] },
      /header names must be HTTP tokens/,
    ],
    ['a negative maxAge', { origin: '*', maxAge: -1 }, /maxAge \(s\) must be an integer from 0/],
  ];
  for (const [what, cors, message] of bad) {
    it(`should refuse ${what} at setup`, () => {
      expect(() => sse(() => of({ data: 1 }), { cors })).to.throw(TypeError, message);
    });
  }
});
