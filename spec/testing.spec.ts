import { expect } from 'chai';
import { interval, map, NEVER, startWith, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { encode, type SseContext, type SseEvent } from 'rx-sse';
import { heartbeatFrame, testContext, toFrames } from 'rx-sse/testing';
import type { Observable } from 'rxjs';

// The marble example of docs/testing.md, as a user would write it.
function counter(ctx: SseContext): Observable<SseEvent> {
  const first = ctx.lastEventId === undefined ? 0 : Number(ctx.lastEventId) + 1;
  return interval(1000).pipe(
    take(3),
    map((i) => ({ event: 'counter', id: first + i, data: first + i })),
  );
}

describe('rx-sse/testing', () => {
  describe('toFrames', () => {
    it('should give the exact frames of a handler in virtual time', () => {
      new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      }).run(({ expectObservable }) => {
        const frames = toFrames(counter(testContext({ lastEventId: '4' })));
        expectObservable(frames).toBe('1s a 999ms b 999ms (c|)', {
          a: encode({ event: 'counter', id: 5, data: 5 }),
          b: encode({ event: 'counter', id: 6, data: 6 }),
          c: encode({ event: 'counter', id: 7, data: 7 }),
        });
      });
    });

    it('should include the default 15 s heartbeat, as sse() sends it', () => {
      new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      }).run(({ expectObservable }) => {
        expectObservable(toFrames(NEVER.pipe(startWith({ data: 'hi' }))), '^ 20s !').toBe(
          'a 14999ms h',
          { a: encode({ data: 'hi' }), h: heartbeatFrame },
        );
      });
    });

    it('should take the same wire options as sse()', () => {
      new TestScheduler((actual, expected) => {
        expect(actual).to.deep.equal(expected);
      }).run(({ cold, expectObservable }) => {
        const events = cold<SseEvent>('-a|', { a: { data: 1 } });
        expectObservable(toFrames(events, { retry: 500, heartbeat: false })).toBe('ra|', {
          r: 'retry: 500\n\n',
          a: 'data: 1\n\n',
        });
      });
    });
  });

  describe('testContext', () => {
    it('should build the context of a GET request from a URL and headers', () => {
      const ctx = testContext({
        url: '/events?room=1',
        headers: { Authorization: 'Bearer t' },
        lastEventId: '41',
      });
      expect(ctx.url.href).to.equal('http://localhost/events?room=1');
      expect(ctx.req.method).to.equal('GET');
      expect(ctx.req.headers.authorization).to.equal('Bearer t');
      expect(ctx.lastEventId).to.equal('41');
    });

    it('should read lastEventId from the query like a real request', () => {
      expect(testContext({ url: '/?lastEventId=9' }).lastEventId).to.equal('9');
      expect(testContext().lastEventId).to.equal(undefined);
    });

    it('should abort the signal when the test plays the client leaving', () => {
      const ctx = testContext();
      expect(ctx.signal.aborted).to.equal(false);
      ctx.abort();
      expect(ctx.signal.aborted).to.equal(true);
    });
  });
});
