import { expect } from 'chai';
import { filter, map, take, type Observable } from 'rxjs';
import type { SseEvent } from 'rx-sse';
import { createChannel, type Channel } from 'rx-sse/channel';
import { testContext } from 'rx-sse/testing';
import { testScheduler } from '../support/scheduler.js';

/** The events a stream has given so far, collected synchronously. */
function collect(stream: Observable<SseEvent>): { events: SseEvent[]; done: () => boolean } {
  const events: SseEvent[] = [];
  let complete = false;
  stream.subscribe({
    next: (event) => events.push(event),
    complete: () => (complete = true),
  });
  return { events, done: () => complete };
}

const ids = (events: SseEvent[]) => events.map((event) => event.id);
const plain = (events: SseEvent[]) => events.map((event) => ({ ...event }));

describe('createChannel', () => {
  describe('ids', () => {
    it('should give each event an id <ms>-<n> after the one before, even when the clock goes back', () => {
      let now = 1000;
      const channel = createChannel({}, { now: () => now, schedule: () => undefined as never });
      expect(channel.lastId).to.equal('1000-0');
      expect(channel.send('a')).to.equal('1000-1');
      expect(channel.send('b')).to.equal('1000-2');
      now = 1005;
      expect(channel.send('c')).to.equal('1005-0');
      now = 900; // the clock went back
      expect(channel.send('d')).to.equal('1005-1');
      expect(channel.lastId).to.equal('1005-1');
    });
  });

  describe('stream', () => {
    it('should deliver what is published to every live stream, with its id, in marbles', () => {
      const scheduler = testScheduler();
      scheduler.run(({ cold, expectObservable }) => {
        const channel = createChannel({}, scheduler);
        const publisher = cold('-a--b|', { a: 'x', b: 'y' });
        publisher.subscribe((data) => channel.send(data));
        const expected = { a: { id: '1-0', data: 'x' }, b: { id: '4-0', data: 'y' } };
        expectObservable(channel.stream(undefined).pipe(map((e) => ({ ...e })))).toBe(
          '-a--b-',
          expected,
        );
        expectObservable(channel.stream(testContext()).pipe(map((e) => ({ ...e })))).toBe(
          '-a--b-',
          expected,
        );
      });
    });

    it('should replay what came after the Last-Event-ID, then go live', () => {
      const channel = createChannel();
      const first = channel.send(1);
      channel.send(2);
      channel.send(3);
      const seen = collect(channel.stream(testContext({ lastEventId: first })));
      expect(seen.events.map((event) => event.data)).to.deep.equal([2, 3]);
      channel.send(4);
      expect(seen.events.map((event) => event.data)).to.deep.equal([2, 3, 4]);
      expect(channel.subscribers).to.equal(1);
    });

    it('should accept the id as a string or in any object with lastEventId', () => {
      const channel = createChannel();
      const first = channel.send('a');
      channel.send('b');
      expect(collect(channel.stream(first)).events).to.have.length(1);
      expect(collect(channel.stream({ lastEventId: first })).events).to.have.length(1);
      expect(collect(channel.stream({ lastEventId: channel.lastId })).events).to.have.length(0);
    });

    it('should treat an empty Last-Event-ID as none (a client that was told to forget it)', () => {
      const channel = createChannel();
      channel.send('a');
      expect(collect(channel.stream('')).events).to.deep.equal([]);
      expect(collect(channel.stream('', { recent: 1 })).events).to.have.length(1);
    });

    it('should give a new client only live events, or the recent ones it asks for', () => {
      const channel = createChannel();
      for (const data of ['a', 'b', 'c']) channel.send(data);
      expect(collect(channel.stream(undefined)).events).to.deep.equal([]);
      const recent = collect(channel.stream(undefined, { recent: 2 }));
      expect(recent.events.map((event) => event.data)).to.deep.equal(['b', 'c']);
      const more = collect(channel.stream(undefined, { recent: 10 }));
      expect(more.events.map((event) => event.data)).to.deep.equal(['a', 'b', 'c']);
    });

    it('should stop delivering to a stream once it is unsubscribed', () => {
      testScheduler().run(({ cold, expectObservable }) => {
        const channel = createChannel();
        cold('-a-b-c').subscribe((data) => channel.send(data));
        const stream = channel.stream(undefined).pipe(map((event) => event.data));
        expectObservable(stream, '^-!').toBe('-a', { a: 'a' });
      });
      const channel = createChannel();
      const subscription = channel.stream(undefined).subscribe();
      expect(channel.subscribers).to.equal(1);
      subscription.unsubscribe();
      expect(channel.subscribers).to.equal(0);
    });

    it('should let each subscriber filter with RxJS operators, and resume the filtered stream by id', () => {
      const channel = createChannel();
      const sport = (from?: string) =>
        collect(channel.stream(from).pipe(filter((event) => event.event === 'sport')));
      const live = sport();
      channel.publish({ event: 'sport', data: 1 });
      channel.publish({ event: 'news', data: 2 });
      channel.publish({ event: 'sport', data: 3 });
      expect(live.events.map((event) => event.data)).to.deep.equal([1, 3]);
      const resumed = sport(live.events[0]!.id as string);
      expect(resumed.events.map((event) => event.data)).to.deep.equal([3]);
    });
  });

  describe('history', () => {
    it('should hold at most maxEvents, and reset a client whose id has been dropped', () => {
      const channel = createChannel({ maxEvents: 2 });
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((data) => channel.send(data));
      expect(channel.size).to.equal(2);
      // b is no longer held, but everything after it is: its client has missed nothing.
      expect(collect(channel.stream(b)).events.map((e) => e.data)).to.deep.equal(['c', 'd']);
      const late = collect(channel.stream(a));
      expect(plain(late.events)).to.deep.equal([
        { event: 'reset', id: b, data: 'expired' },
        { id: c, data: 'c' },
        { id: d, data: 'd' },
      ]);
    });

    it('should drop events older than maxAge, by time', () => {
      const scheduler = testScheduler();
      scheduler.run(({ cold, expectObservable }) => {
        const channel = createChannel({ maxAge: 10 }, scheduler);
        cold('a 5ms b').subscribe((data) => channel.send(data));
        cold('- 20ms x').subscribe(() => channel.send('c'));
        // At 9 ms both are held; at 12 ms a (0 ms) is older than 10 ms; b (6 ms) is not.
        const at = (ms: number, from: string) =>
          cold(`${String(ms)}ms x`).pipe(
            map(() => ids(collect(channel.stream(from)).events).join(' ')),
          );
        expectObservable(at(9, '0-0')).toBe('9ms x', { x: '0-1 6-0' });
        expectObservable(at(12, '0-1')).toBe('12ms x', { x: '6-0' });
        expectObservable(at(12, '0-0')).toBe('12ms x', { x: '0-1 6-0' });
        expectObservable(at(30, '0-1')).toBe('30ms x', { x: '6-0 21-0' });
      });
    });

    it('should hold nothing with maxEvents 0, and still answer a client that missed nothing', () => {
      const channel = createChannel({ maxEvents: 0 });
      const a = channel.send('a');
      expect(channel.size).to.equal(0);
      expect(collect(channel.stream(a)).events).to.deep.equal([]);
      channel.send('b');
      expect(plain(collect(channel.stream(a)).events)).to.deep.equal([
        { event: 'reset', id: channel.lastId, data: 'expired' },
      ]);
    });
  });

  describe('an unknown Last-Event-ID', () => {
    for (const [what, id] of [
      ['garbage', 'abc'],
      ['an id from the future', '99999999999999-0'],
      ['a part past 2^53', '99999999999999999-0'],
      // A client can send anything in ?lastEventId=: it is not refused, only not known.
      ['one no header could carry', ' 1\u0001-0 '],
    ] as const) {
      it(`should start with a reset (unknown) and every held event, for ${what}`, () => {
        const channel = createChannel({ resetEvent: 'gap' });
        const start = channel.lastId;
        channel.send('a');
        const events = collect(channel.stream(id)).events;
        expect(plain(events)).to.deep.equal([
          { event: 'gap', id: start, data: 'unknown' },
          { id: channel.lastId, data: 'a' },
        ]);
      });
    }
  });

  describe('an id from before the channel (an earlier run, another server)', () => {
    it('should start with a reset, not silently skip what the client missed', () => {
      let now = 5000;
      const clock = { now: () => now, schedule: () => undefined as never };
      const earlier = createChannel({}, clock);
      const seen = earlier.send('a1');
      now = 6000;
      const channel = createChannel({}, clock); // the server restarted
      const start = channel.lastId;
      channel.send('b1');
      expect(plain(collect(channel.stream(seen)).events)).to.deep.equal([
        { event: 'reset', id: start, data: 'expired' },
        { id: channel.lastId, data: 'b1' },
      ]);
    });
  });

  describe('the seam', () => {
    it('should miss nothing after a reset whose subscriber publishes enough to evict the replay', () => {
      const channel = createChannel({ maxEvents: 2 });
      const start = channel.lastId;
      for (const data of ['e1', 'e2', 'e3']) channel.send(data);
      const got: unknown[] = [];
      channel.stream(start).subscribe((event) => {
        got.push(event.event ?? event.data);
        if (event.event === 'reset') {
          channel.send('e4');
          channel.send('e5');
        }
      });
      expect(got).to.deep.equal(['reset', 'e2', 'e3', 'e4', 'e5']);
    });

    it('should give events published from inside a replay exactly once, in order', () => {
      const channel = createChannel();
      const start = channel.lastId;
      channel.send(0);
      channel.send(1);
      const got: unknown[] = [];
      channel
        .stream(start)
        .pipe(take(6))
        .subscribe((event) => {
          got.push(event.data);
          if (typeof event.data === 'number' && event.data < 3) channel.send(event.data + 2);
        });
      channel.send(99);
      expect(got).to.deep.equal([0, 1, 2, 3, 4, 99]);
    });

    it('should keep every stream in id order when a subscriber publishes while one is delivered', () => {
      const channel = createChannel();
      const first: unknown[] = [];
      const second: unknown[] = [];
      channel.stream(undefined).subscribe((event) => {
        first.push(event.data);
        if (event.data === 'a') channel.send('b');
      });
      channel.stream(undefined).subscribe((event) => second.push(event.data));
      channel.send('a');
      expect(first).to.deep.equal(['a', 'b']);
      expect(second).to.deep.equal(['a', 'b']);
    });

    it('should replay what was published before a subscription made inside a delivery, once', () => {
      const channel = createChannel();
      const start = channel.lastId;
      const late: unknown[] = [];
      channel.stream(undefined).subscribe((event) => {
        if (event.data === 'a') {
          channel.send('b'); // queued behind 'a', not yet delivered to anyone
          channel.stream(start).subscribe((e) => {
            late.push(e.data);
          });
        }
      });
      channel.send('a');
      channel.send('c');
      expect(late).to.deep.equal(['a', 'b', 'c']);
    });
  });

  describe('complete', () => {
    it('should end every stream after what was published, and refuse to publish more', () => {
      const channel = createChannel();
      const live = collect(channel.stream(undefined));
      const inner: unknown[] = [];
      channel.stream(undefined).subscribe((event) => {
        inner.push(event.data);
        if (event.data === 'a') {
          channel.send('b');
          channel.complete();
        }
      });
      channel.send('a');
      expect(live.events.map((event) => event.data)).to.deep.equal(['a', 'b']);
      expect(inner).to.deep.equal(['a', 'b']);
      expect(live.done()).to.equal(true);
      expect(channel.closed).to.equal(true);
      expect(() => channel.send('c')).to.throw(TypeError, /complete/);
      expect(channel.subscribers).to.equal(0);
    });

    it('should replay what a client missed after completion, then complete', () => {
      const channel = createChannel();
      const a = channel.send('a');
      channel.send('b');
      channel.complete();
      const late = collect(channel.stream(a));
      expect(late.events.map((event) => event.data)).to.deep.equal(['b']);
      expect(late.done()).to.equal(true);
    });
  });

  describe('bad input', () => {
    const channel: Channel = createChannel();
    for (const [what, call, message] of [
      [
        'an event with an id',
        () => channel.publish({ id: 1, data: 'x' } as never),
        /assigns the id/,
      ],
      ['a string event', () => channel.publish('hi' as never), /takes an event/],
      ['a bad event type', () => channel.publish({ event: 'a\nb', data: 1 }), /"event" must not/],
      [
        'an unknown field',
        () => channel.publish({ name: 'x', data: 1 } as never),
        /unknown field "name"/,
      ],
      ['data JSON cannot encode', () => channel.send(10n), /could not be serialized/],
      ['a bad stream origin', () => channel.stream(42 as never), /from must be a context/],
      ['a bad recent', () => channel.stream(undefined, { recent: -1 }), /recent must be/],
      ['an unknown stream option', () => channel.stream(undefined, { last: 1 } as never), /"last"/],
      ['an unknown option', () => createChannel({ size: 1 } as never), /unknown option "size"/],
      ['a bad maxEvents', () => createChannel({ maxEvents: 1.5 }), /maxEvents must be/],
      ['a bad maxAge', () => createChannel({ maxAge: 0 }), /maxAge \(ms\) must be/],
      ['a fractional maxAge', () => createChannel({ maxAge: 1.5 }), /maxAge \(ms\) must be/],
      ['an event without data', () => channel.publish({ event: 'x' }), /needs data/],
      ['data undefined', () => channel.send(undefined), /needs data/],
      ['a bad resetEvent', () => createChannel({ resetEvent: 'a\rb' }), /resetEvent must be/],
      ['a bad serialize', () => createChannel({ serialize: 1 as never }), /serialize must be/],
      ['a bad scheduler', () => createChannel({}, {} as never), /SchedulerLike/],
    ] as const) {
      it(`should refuse ${what} with an error that names it`, () => {
        expect(call).to.throw(TypeError, message);
      });
    }

    it('should publish nothing when it refuses an event', () => {
      const before = channel.lastId;
      expect(() => channel.publish({ event: 'a\nb', data: 1 })).to.throw();
      expect(channel.lastId).to.equal(before);
    });
  });
});
