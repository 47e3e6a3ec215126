import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { TestScheduler } from 'rxjs/testing';
import { encode } from 'rx-sse';
import { testContext, toFrames } from 'rx-sse/testing';
import { app as authApp, inbox } from '../samples/auth.js';
import { app as clockApp } from '../samples/clock.js';
import { app as counterApp, counter } from '../samples/counter.js';
import { app as resumeApp, numbers } from '../samples/resume.js';
import { fetchRaw, startServer, waitFor, type TestServer } from './support/server.js';

function marbles(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).to.deep.equal(expected);
  });
}

describe('samples', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  describe('counter', () => {
    it('should stream ten counter events, 0 to 9, one second apart, then complete', () => {
      marbles().run(({ expectObservable }) => {
        const values = Object.fromEntries(
          Array.from({ length: 10 }, (_, i) => [
            String(i),
            encode({ event: 'counter', id: i, data: i }),
          ]),
        );
        expectObservable(toFrames(counter(testContext()))).toBe(
          '1s 0 999ms 1 999ms 2 999ms 3 999ms 4 999ms 5 999ms 6 999ms 7 999ms 8 999ms (9|)',
          values,
        );
      });
    });

    it('should resume after the Last-Event-ID a reconnecting client sends', () => {
      marbles().run(({ expectObservable }) => {
        expectObservable(toFrames(counter(testContext({ lastEventId: '7' })))).toBe(
          '1s 8 999ms (9|)',
          {
            8: encode({ event: 'counter', id: 8, data: 8 }),
            9: encode({ event: 'counter', id: 9, data: 9 }),
          },
        );
      });
    });

    it('should tell a client that saw every event to stop, with 204', async () => {
      server = await startServer(counterApp);
      const res = await fetchRaw(`${server.origin}/counter`, { 'Last-Event-ID': '9' });
      expect(res.status).to.equal(204);
    });

    it('should refuse a Last-Event-ID it never sent', async () => {
      server = await startServer(counterApp);
      expect(
        (await fetchRaw(`${server.origin}/counter`, { 'Last-Event-ID': 'abc' })).status,
      ).to.equal(400);
    });

    it('should serve the page at / and nothing at other paths', async () => {
      server = await startServer(counterApp);
      const page = await fetchRaw(server.origin);
      expect(page.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(page.body).to.include("new EventSource('/counter')").and.include('Counter: ');
      expect((await fetchRaw(`${server.origin}/nope`)).status).to.equal(404);
    });
  });

  describe('clock', () => {
    it('should tick at the requested period with the time', async () => {
      server = await startServer(clockApp);
      const source = new EventSource(`${server.origin}/clock?every=100`);
      const ticks: string[] = [];
      source.addEventListener('tick', (event) => ticks.push(event.data));
      await waitFor(() => ticks.length >= 3, 'three ticks');
      source.close();
      for (const tick of ticks) expect(Number.isNaN(Date.parse(tick))).to.equal(false);
    });

    it('should refuse a period out of range with 400', async () => {
      server = await startServer(clockApp);
      const res = await fetchRaw(`${server.origin}/clock?every=5`);
      expect([res.status, res.body]).to.deep.equal([
        400,
        'every must be a whole number of ms from 100 to 60000',
      ]);
    });
  });

  describe('resume', () => {
    it('should carry on after the last id, from the header or the query', () => {
      marbles().run(({ expectObservable }) => {
        const header = toFrames(numbers(testContext({ lastEventId: '41' }), 10), {
          heartbeat: false,
        });
        const query = toFrames(numbers(testContext({ url: '/numbers?lastEventId=41' }), 10), {
          heartbeat: false,
        });
        const expected = {
          a: encode({ id: 42, data: 'number 42' }),
          b: encode({ id: 43, data: 'number 43' }),
        };
        expectObservable(header, '^ 25ms !').toBe('10ms a 9ms b', expected);
        expectObservable(query, '^ 25ms !').toBe('10ms a 9ms b', expected);
      });
    });

    it('should resume across a real reconnect with nothing skipped or repeated', async () => {
      server = await startServer(resumeApp);
      const source = new EventSource(`${server.origin}/numbers`);
      const received: string[] = [];
      source.onmessage = (event) => received.push(event.lastEventId);
      await waitFor(() => received.length >= 2, 'two numbers');
      // Cut the connection under the client; it reconnects after `retry` (1 s) with Last-Event-ID.
      server.server.closeAllConnections();
      const cut = received.length;
      await waitFor(() => received.length >= cut + 2, 'numbers after the reconnect', 8000);
      source.close();
      expect(received).to.deep.equal(received.map((_, i) => String(i)));
    });
  });

  describe('auth', () => {
    it('should refuse a request without a valid token with 401 and WWW-Authenticate', async () => {
      server = await startServer(authApp);
      for (const headers of [{}, { Authorization: 'Bearer wrong' }]) {
        const res = await fetchRaw(`${server.origin}/inbox`, headers);
        expect([res.status, res.headers['www-authenticate'], res.body]).to.deep.equal([
          401,
          'Bearer',
          'A valid token is required',
        ]);
      }
    });

    it('should stream mail to a client with a token, from a header or the query', async () => {
      server = await startServer(authApp);
      const source = new EventSource(`${server.origin}/inbox?token=alice-token`);
      const mail = await new Promise<string>((resolve) =>
        source.addEventListener('mail', (event) => resolve(event.data)),
      );
      source.close();
      expect(JSON.parse(mail)).to.deep.equal({ to: 'alice', subject: 'message 0' });
      expect(
        await inbox(testContext({ headers: { Authorization: 'Bearer alice-token' } })),
      ).to.have.property('subscribe');
    });
  });
});
