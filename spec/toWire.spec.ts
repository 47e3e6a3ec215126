import { expect } from 'chai';
import { map, range, take, tap } from 'rxjs';
import { encode, SseEventError, toWire, type SseEvent } from 'rx-sse';
import { heartbeatFrame } from 'rx-sse/testing';
import { testScheduler } from './support/scheduler.js';

const a = { data: 'a' };
const b = { event: 'b', data: 2 };
const frames = { a: encode(a), b: encode(b), h: heartbeatFrame };

describe('toWire', () => {
  it('should emit one frame per event and complete with the source', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<SseEvent>('-a-b-|', { a, b });
      expectObservable(source.pipe(toWire({ heartbeat: false }))).toBe('-a-b-|', frames);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('should send the retry preamble once, as the stream opens', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<SseEvent>('--a|', { a });
      expectObservable(source.pipe(toWire({ retry: 3000, heartbeat: false }))).toBe('r-a|', {
        ...frames,
        r: 'retry: 3000\n\n',
      });
    });
  });

  it('should send a heartbeat after 15 s of silence by default', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<SseEvent>('-');
      expectObservable(source.pipe(toWire()), '^ 40s !').toBe('15s h 14999ms h', frames);
    });
  });

  it('should send a heartbeat only when the stream has been idle, counting from the last frame', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<SseEvent>('6ms a 2ms b', { a, b });
      // Frames at 6 and 9; heartbeats 10 ms after the frame at 9 (19), then at 29 and 39.
      expectObservable(source.pipe(toWire({ heartbeat: 10 })), '^ 40ms !').toBe(
        '6ms a 2ms b 9ms h 9ms h 9ms h',
        frames,
      );
    });
  });

  it('should never send a heartbeat while events keep coming', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold<SseEvent>('aaaaaaaaaaaaaaaaaaaa|', { a });
      expectObservable(source.pipe(toWire({ heartbeat: 5 }))).toBe('aaaaaaaaaaaaaaaaaaaa|', frames);
    });
  });

  it('should send no heartbeat with heartbeat: false', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<SseEvent>('-').pipe(toWire({ heartbeat: false })), '^ 60s !').toBe('');
    });
  });

  it('should stop the heartbeat and unsubscribe from the source when unsubscribed', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<SseEvent>('a-----', { a });
      expectObservable(source.pipe(toWire({ heartbeat: 3 })), '^----!').toBe('a--h-', frames);
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('should pass a source error on, after the frames before it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const error = new Error('boom');
      const source = cold<SseEvent>('a-#', { a }, error);
      expectObservable(source.pipe(toWire({ heartbeat: false }))).toBe('a-#', frames, error);
    });
  });

  it('should error, writing nothing of it, on an event encode refuses, and unsubscribe', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<SseEvent>('a-x-b', { a, b, x: { event: 'x\ny', data: 'forged' } });
      const result = source.pipe(toWire({ heartbeat: false }));
      expectObservable(result).toBe(
        'a-#',
        frames,
        new SseEventError(
          'event',
          'encode: "event" must not contain CR or LF (got "x\\ny"): a line break would end the field early',
        ),
      );
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('should error, writing nothing of it, on an id a Last-Event-ID header could not carry back', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<SseEvent>('a-x-b', { a, b, x: { id: ' 7 ', data: 'x' } });
      expectObservable(source.pipe(toWire({ heartbeat: false }))).toBe(
        'a-#',
        frames,
        new SseEventError(
          'id',
          'encode: "id" must not start or end with a space or HTAB (got " 7 "): a client sends the id back as its Last-Event-ID header, whose value HTTP trims (RFC 9110 §5.5), so it would come back changed',
        ),
      );
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('should stop pulling a synchronous source once it errors or is unsubscribed', () => {
    let pulled = 0;
    const source = range(0, 100_000).pipe(
      tap(() => pulled++),
      map((i) => (i === 0 ? { id: 'bad\nid' } : { data: i })),
    );
    source.pipe(toWire({ heartbeat: false })).subscribe({ error: () => undefined });
    expect(pulled).to.equal(1);
    pulled = 0;
    range(0, 100_000)
      .pipe(
        tap(() => pulled++),
        map((i) => ({ data: i })),
        toWire({ heartbeat: false }),
        take(1),
      )
      .subscribe();
    expect(pulled).to.equal(1);
  });

  it('should encode with options.serialize', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a|', { a: 1 }).pipe(map((n) => ({ data: n })));
      const upper = (value: unknown) => `n=${String(value)}`;
      expectObservable(source.pipe(toWire({ heartbeat: false, serialize: upper }))).toBe('a|', {
        a: 'data: n=1\n\n',
      });
    });
  });

  describe('options', () => {
    const bad: [string, object, RegExp][] = [
      [
        'a negative retry',
        { retry: -5 },
        /options\.retry \(ms\) must be an integer from 0 to 2147483647 \(got number -5\)/,
      ],
      ['a zero heartbeat', { heartbeat: 0 }, /options\.heartbeat must be a number of ms from 1/],
      [
        'heartbeat: true',
        { heartbeat: true },
        /options\.heartbeat .* or false to disable \(got boolean true\)/,
      ],
      ['a string serialize', { serialize: 'json' }, /options\.serialize must be a function/],
      [
        'a heartbeat past the timer limit',
        { heartbeat: 2 ** 31 },
        /options\.heartbeat must be a number of ms from 1 to 2147483647/,
      ],
    ];
    for (const [what, options, message] of bad) {
      it(`should refuse ${what} at setup`, () => {
        expect(() => toWire(options)).to.throw(TypeError, message);
      });
    }
  });
});
