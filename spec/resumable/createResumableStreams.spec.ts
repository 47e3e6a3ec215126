import { expect } from 'chai';
import fc from 'fast-check';
import { NEVER, of, Subject, type Observable, type SchedulerLike } from 'rxjs';
import { HttpError, type SseEvent } from 'rx-sse';
import { createResumableStreams, type ResumableOptions } from 'rx-sse/resumable';
import { testContext } from 'rx-sse/testing';
import { collect, plain, setup, token, tokens } from './helpers.js';

describe('createResumableStreams', () => {
  describe('start and read', () => {
    it('should give every event an id <n> from 0, replacing any it had, live as it comes', () => {
      const { scheduler, answers } = setup();
      scheduler.run(({ cold, expectObservable }) => {
        const id = answers.start(cold('-a-b-c|', { ...tokens, b: { ...tokens.b, id: 'x' } }));
        expectObservable(answers.read(id).pipe(plain)).toBe('-a-b-c|', {
          a: { ...tokens.a, id: '0' },
          b: { ...tokens.b, id: '1' },
          c: { ...tokens.c, id: '2' },
        });
      });
    });

    it('should subscribe the producer once, now, whether or not anyone reads', () => {
      const { scheduler, answers } = setup();
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const producer = cold('-a-b------|', tokens);
        const id = answers.start(producer);
        expectObservable(answers.read(id).pipe(plain), '---^').toBe('---(ab)---|', {
          a: { ...tokens.a, id: '0' },
          b: { ...tokens.b, id: '1' },
        });
        expectObservable(answers.read(id).pipe(plain), '--^').toBe('--ab------|', {
          a: { ...tokens.a, id: '0' },
          b: { ...tokens.b, id: '1' },
        });
        expectSubscriptions(producer.subscriptions).toBe('^---------!');
      });
    });

    it('should resume after the Last-Event-ID: exactly the rest, replayed then live', () => {
      const { scheduler, answers } = setup();
      scheduler.run(({ cold, expectObservable }) => {
        const id = answers.start(cold('-a-b-c-|', tokens));
        expectObservable(answers.read(id, '0').pipe(plain), '----^').toBe('----bc-|', {
          b: { ...tokens.b, id: '1' },
          c: { ...tokens.c, id: '2' },
        });
        const ctx = testContext({ lastEventId: '1' });
        expectObservable(answers.read(id, ctx).pipe(plain), '----^').toBe('-----c-|', {
          c: { ...tokens.c, id: '2' },
        });
      });
    });

    it('should give a finished answer whole and complete, synchronously', () => {
      const { answers } = setup();
      const id = answers.start(of(tokens.a, tokens.b));
      expect(collect(answers.read(id))).to.deep.equal({
        events: [
          { ...tokens.a, id: '0' },
          { ...tokens.b, id: '1' },
        ],
        done: true,
      });
      expect(collect(answers.read(id, { lastEventId: '1' }))).to.deep.equal({
        events: [],
        done: true,
      });
      // An empty Last-Event-ID is none: a client told to forget its id starts over.
      expect(collect(answers.read(id, '')).events).to.have.length(2);
    });

    it('should refuse a Last-Event-ID that is not one of the answer ids with a 400 on subscribe', () => {
      const { scheduler, answers } = setup();
      scheduler.run(({ cold, expectObservable }) => {
        const id = answers.start(cold('-a-b|', tokens));
        for (const bad of ['1', '-1', '01', '0-0', 'x', '1e0', '99999999999999999']) {
          expectObservable(answers.read(id, bad).pipe(plain), '--^').toBe('--(x|)', { x: 400 });
        }
        // By the time this one subscribes, id 1 has been given.
        expectObservable(answers.read(id, '1').pipe(plain), '---^').toBe('----|');
      });
    });

    it('should answer an unknown id with a 404 on subscribe, and say it has none', () => {
      const { answers } = setup();
      let status: unknown;
      answers.read('nope').subscribe({ error: (error: HttpError) => (status = error.status) });
      expect(status).to.equal(404);
      expect(answers.has('nope')).to.equal(false);
    });

    it('should give each answer a random UUID', () => {
      const { answers } = setup();
      const ids = [answers.start(NEVER), answers.start(NEVER)];
      for (const id of ids) {
        expect(id).to.match(
          /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
        expect(answers.has(id)).to.equal(true);
      }
      expect(ids[0]).to.not.equal(ids[1]);
      expect(answers.size).to.equal(2);
    });
  });

  describe('resuming anywhere', () => {
    it('should give, read then dropped then resumed at any point, every event exactly once', () => {
      fc.assert(
        fc.property(
          fc.array(fc.string(), { maxLength: 30 }),
          fc.nat(),
          fc.nat(),
          fc.boolean(),
          (words, readRaw, backRaw, ends) => {
            const { answers } = setup();
            const producer = new Subject<SseEvent>();
            const id = answers.start(producer);
            const read = readRaw % (words.length + 1);
            const back = read + (backRaw % (words.length - read + 1));
            // The first reader takes `read` events and drops; it comes back after `back` of them.
            const first: SseEvent[] = [];
            const reader = answers.read(id).subscribe((event) => first.push(event));
            let second: { events: SseEvent[]; done: boolean } | undefined;
            const resume = (): void => {
              const last = first.at(-1)?.id;
              second = collect(answers.read(id, last === undefined ? undefined : String(last)));
            };
            words.forEach((word, i) => {
              if (i === read) reader.unsubscribe();
              if (i === back) resume();
              producer.next({ data: word });
            });
            if (read === words.length) reader.unsubscribe();
            if (back === words.length) resume();
            if (ends) producer.complete();
            const seen = [...first, ...(second?.events ?? [])];
            expect(seen.map((event) => event.data)).to.deep.equal(words);
            expect(seen.map((event) => event.id)).to.deep.equal(words.map((_, i) => String(i)));
            expect(second?.done).to.equal(ends);
          },
        ),
      );
    });
  });

  describe('arguments', () => {
    it('should refuse each bad option with a TypeError naming it', () => {
      const bad: [unknown, RegExp][] = [
        [{ ttl: 0 }, /options\.ttl \(ms\) must be an integer from 1 to 2147483647/],
        [{ ttl: Infinity }, /options\.ttl/],
        [{ maxStreams: 1.5 }, /options\.maxStreams must be an integer from 1/],
        [{ maxStreams: Infinity }, /options\.maxStreams/],
        [{ maxBytesPerStream: '1' }, /options\.maxBytesPerStream/],
        [{ onError: 'log' }, /options\.onError must be a function/],
        [{ maxStream: 1 }, /unknown option "maxStream"/],
        [null, /options must be an object/],
      ];
      for (const [options, message] of bad) {
        expect(() => createResumableStreams(options as ResumableOptions))
          .to.throw(TypeError, message)
          .with.property('message')
          .that.match(/^createResumableStreams: /);
      }
      expect(() => createResumableStreams({}, {} as unknown as SchedulerLike)).to.throw(
        TypeError,
        /scheduler/,
      );
    });

    it('should refuse bad arguments to its methods with a TypeError naming them', () => {
      const { answers } = setup();
      expect(() => answers.start([token('a')] as unknown as Observable<SseEvent>)).to.throw(
        TypeError,
        /answers\.start: producer must be an Observable/,
      );
      expect(() => answers.read(7 as unknown as string)).to.throw(TypeError, /answers\.read: id/);
      expect(() => answers.read('x', 7 as unknown as string)).to.throw(TypeError, /from must/);
      expect(() => answers.has(null as unknown as string)).to.throw(TypeError, /answers\.has: id/);
    });
  });
});
