import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { NEVER, Observable, throwError } from 'rxjs';
import sinon from 'sinon';
import { HttpError, sse, type SseEvent } from 'rx-sse';
import { doors } from '../support/doors.js';
import { useFixture } from '../support/fixture.js';
import { fetchRaw, startServer } from '../support/server.js';
import { useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: methods: HEAD as GET, others refused (${door} door)`, () => {
    const { serve } = useDoor(door);

    it('should send options.headers with a 405 too', async () => {
      const origin = await serve(() => NEVER, { headers: { 'Access-Control-Allow-Origin': '*' } });
      const res = await new Promise<IncomingMessage>((resolve) =>
        get(origin, { method: 'PUT' }, resolve).end(),
      );
      res.resume();
      expect([res.statusCode, res.headers['access-control-allow-origin']]).to.deep.equal([
        405,
        '*',
      ]);
    });

    it('should answer HEAD as GET would be answered, writing nothing of the stream', async () => {
      const subscribed = sinon.spy();
      const unsubscribed = sinon.spy();
      const origin = await serve((ctx) => {
        if (ctx.url.pathname === '/private') throw new HttpError(401);
        if (ctx.url.pathname === '/gone') return throwError(() => new HttpError(404));
        return new Observable<SseEvent>((subscriber) => {
          subscribed();
          subscriber.next({ data: 'never written' });
          return unsubscribed;
        });
      });
      const head = async (path: string) => {
        const res = await new Promise<IncomingMessage>((resolve) =>
          get(`${origin}${path}`, { method: 'HEAD' }, resolve).end(),
        );
        res.resume();
        return res;
      };
      const ok = await head('/');
      expect(ok.statusCode).to.equal(200);
      expect(ok.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect((await head('/private')).statusCode).to.equal(401);
      expect((await head('/gone')).statusCode).to.equal(404);
      // Subscribed for the synchronous window in which an error is still a status, then let go.
      expect([subscribed.callCount, unsubscribed.callCount]).to.deep.equal([1, 1]);
    });

    it('should answer HEAD as GET when the teardown of an ending throws, or an event cannot be encoded', async () => {
      const onError = sinon.spy();
      const origin = await serve(
        (ctx) =>
          new Observable<SseEvent>((subscriber) => {
            if (ctx.url.pathname === '/bad') subscriber.next({ event: 'a\nb', data: 1 });
            else if (ctx.url.pathname === '/denied') subscriber.error(new HttpError(401));
            else subscriber.complete();
            return () => {
              throw new Error('teardown');
            };
          }),
        { onError },
      );
      const statuses: [string, number | undefined, number | undefined][] = [];
      for (const path of ['/', '/denied', '/bad']) {
        const head = await new Promise<IncomingMessage>((resolve) =>
          get(`${origin}${path}`, { method: 'HEAD' }, resolve).end(),
        );
        head.resume();
        statuses.push([path, head.statusCode, (await fetchRaw(`${origin}${path}`)).status]);
      }
      expect(statuses).to.deep.equal([
        ['/', 200, 200],
        ['/denied', 401, 401],
        ['/bad', 500, 500],
      ]);
    });

    it('should answer 405 with Allow to a method other than GET', async () => {
      const handler = sinon.spy(() => NEVER);
      const origin = await serve(handler);
      const res = await new Promise<IncomingMessage>((resolve) => {
        const req = get(origin, { method: 'POST' }, resolve);
        req.end();
      });
      res.resume();
      expect([res.statusCode, res.headers.allow]).to.deep.equal([405, 'GET, HEAD']);
      expect(handler.called).to.equal(false);
    });
  });
}

// node:http only: next() is Connect/Express middleware's.
describe('sse: methods (node door only)', () => {
  const t = useFixture();

  it('should pass a method other than GET to next() as middleware', async () => {
    const listener = sse(() => NEVER);
    t.server = await startServer((req, res) => {
      listener(req, res, () => {
        res.end('next');
      });
    });
    const res = await new Promise<IncomingMessage>((resolve) =>
      get(t.server!.origin, { method: 'DELETE' }, resolve).end(),
    );
    let body = '';
    for await (const chunk of res) body += String(chunk);
    expect(body).to.equal('next');
  });
});
