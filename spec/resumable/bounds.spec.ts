import { expect } from 'chai';
import { NEVER, Observable, of, type SchedulerLike } from 'rxjs';
import { HttpError, type SseEvent } from 'rx-sse';
import { createResumableStreams } from 'rx-sse/resumable';
import { testScheduler } from '../support/scheduler.js';
import { collect, plain, setup, token, tokens } from './helpers.js';

describe('createResumableStreams: failures, bounds and close', () => {
  describe('failures', () => {
    it('should end an answer whose producer errors with a failed event, and report the error', () => {
      const { scheduler, answers, errors } = setup();
      const boom = new Error('the model fell over');
      let id = '';
      scheduler.run(({ cold, expectObservable }) => {
        id = answers.start(cold('-a-#', tokens, boom));
        const f = { event: 'failed', id: '1', data: 'error' };
        expectObservable(answers.read(id).pipe(plain)).toBe('-a-(f|)', {
          a: { ...tokens.a, id: '0' },
          f,
        });
        // Resuming after the failure gives nothing more; from the start, all of it.
        expectObservable(answers.read(id, '1').pipe(plain), '----^').toBe('----|');
        expectObservable(answers.read(id, '0').pipe(plain), '----^').toBe('----(f|)', { f });
      });
      expect(errors).to.deep.equal([[boom, id]]);
    });

    it('should end the answer with a failed event for an event encode refuses', () => {
      const { answers, errors } = setup();
      const id = answers.start(of(tokens.a, { data: 'x', event: 'a\nb' }, tokens.b));
      expect(collect(answers.read(id)).events).to.deep.equal([
        { ...tokens.a, id: '0' },
        { event: 'failed', id: '1', data: 'error' },
      ]);
      expect(errors).to.have.length(1);
      expect(errors[0]?.[0]).to.have.property('name', 'SseEventError');
      const nothing = answers.start(of(null as unknown as SseEvent));
      expect(collect(answers.read(nothing)).events).to.deep.equal([
        { event: 'failed', id: '0', data: 'error' },
      ]);
      expect(String(errors[1]?.[0])).to.equal(
        'TypeError: answers.start: the producer gave null, not an event',
      );
    });

    it('should stop at maxBytesPerStream: the event past it is not kept, the producer is let go', () => {
      // 'event: token\nid: 0\ndata: a\n\n' is 28 bytes; two fit in 56, the third does not.
      const { scheduler, answers, errors } = setup({ maxBytesPerStream: 56 });
      let id = '';
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const producer = cold('-a-b-c-|', tokens);
        id = answers.start(producer);
        expectObservable(answers.read(id).pipe(plain)).toBe('-a-b-(f|)', {
          a: { ...tokens.a, id: '0' },
          b: { ...tokens.b, id: '1' },
          f: { event: 'failed', id: '2', data: 'too-large' },
        });
        expectSubscriptions(producer.subscriptions).toBe('^----!');
      });
      expect(errors).to.have.length(1);
      expect(errors[0]?.[0]).to.be.instanceOf(RangeError);
      expect(String(errors[0]?.[0])).to.contain('maxBytesPerStream (56 bytes)');
    });

    it('should stop a synchronous producer at the bound, from inside its own emission', () => {
      const { answers } = setup({ maxBytesPerStream: 100 });
      let emitted = 0;
      const endless = new Observable<SseEvent>((subscriber) => {
        while (!subscriber.closed) {
          emitted++;
          subscriber.next(token('word'));
        }
      });
      const id = answers.start(endless);
      const { events } = collect(answers.read(id));
      expect(events.map((event) => event.data)).to.deep.equal([
        'word',
        'word',
        'word',
        'too-large',
      ]);
      // Each is 31 bytes: the fourth would pass 100, and the loop then found itself closed.
      expect(emitted).to.equal(4);
    });
  });

  describe('bounds', () => {
    it('should drop an answer ttl ms after it ends: then reading it is a 404', () => {
      const { scheduler, answers } = setup({ ttl: 10 });
      scheduler.run(({ cold, expectObservable }) => {
        const id = answers.start(cold('-a|', tokens));
        const a = { ...tokens.a, id: '0' };
        expectObservable(answers.read(id).pipe(plain), '-----------^').toBe('-----------(a|)', {
          a,
        });
        expectObservable(answers.read(id).pipe(plain), '------------^').toBe('------------(x|)', {
          x: 404,
        });
      });
      expect(answers.size).to.equal(0);
    });

    it('should keep one timer for all answers, set only while an ended answer waits', () => {
      const scheduler = testScheduler();
      const delays: (number | undefined)[] = [];
      const counting: SchedulerLike = {
        now: () => scheduler.now(),
        schedule: (...args: Parameters<SchedulerLike['schedule']>) => {
          delays.push(args[1]);
          return scheduler.schedule(...args);
        },
      };
      const answers = createResumableStreams({ ttl: 10 }, counting);
      scheduler.run(({ cold, time }) => {
        const ids = [
          cold<SseEvent>('-|'),
          cold<SseEvent>('--|'),
          cold<SseEvent>('---|'),
          NEVER,
        ].map((p) => answers.start(p));
        expect(delays).to.deep.equal([]);
        scheduler.schedule(() => {
          // Three have ended; the one timer waits for the first of them.
          expect([answers.size, delays]).to.deep.equal([4, [10]]);
        }, time('---|'));
        scheduler.schedule(() => {
          expect(ids.map((id) => answers.has(id))).to.deep.equal([false, true, true, true]);
        }, time('-----------|'));
      });
      // Flushed: the timer ran for each in turn, and none is left for the one that never ends.
      expect(delays).to.deep.equal([10, 1, 1]);
      expect([answers.size, scheduler.actions.length]).to.deep.equal([1, 0]);
    });

    it('should refuse to start past maxStreams with a 503, counting ended answers until they expire', () => {
      const { scheduler, answers } = setup({ maxStreams: 2, ttl: 5 });
      scheduler.run(({ cold }) => {
        answers.start(NEVER);
        answers.start(cold('-|'));
        const third = (): unknown => answers.start(NEVER);
        expect(third).to.throw(HttpError).with.property('status', 503);
        scheduler.schedule(() => expect(third).to.throw(HttpError), 5);
        scheduler.schedule(() => expect(answers.has(third() as string)).to.equal(true), 6);
      });
    });
  });

  describe('close', () => {
    it('should stop every producer, complete every reader, drop everything and clear the timer', () => {
      const { scheduler, answers } = setup();
      let ended = '';
      scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const running = cold('-a-b-c|', tokens);
        const id = answers.start(running);
        ended = answers.start(cold('|'));
        expectObservable(answers.read(id).pipe(plain)).toBe('-a|', {
          a: { ...tokens.a, id: '0' },
        });
        expectSubscriptions(running.subscriptions).toBe('^-!');
        scheduler.schedule(() => answers.close(), 2);
      });
      expect(scheduler.actions).to.have.length(0);
      expect([answers.size, answers.has(ended)]).to.deep.equal([0, false]);
      let status: unknown;
      answers.read(ended).subscribe({ error: (error: HttpError) => (status = error.status) });
      expect(status).to.equal(404);
      expect(() => answers.start(NEVER))
        .to.throw(HttpError)
        .with.property('status', 503);
    });
  });
});
