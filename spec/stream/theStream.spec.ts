import { expect } from 'chai';
import { EventSource } from 'eventsource';
import {
  concat,
  defer,
  interval,
  map,
  NEVER,
  of,
  range,
  Subject,
  take,
  tap,
  timer,
  VirtualAction,
  VirtualTimeScheduler,
} from 'rxjs';
import { doors } from '../support/doors.js';
import { fetchRaw, parseEvents, waitFor } from '../support/server.js';
import { open, useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: the stream (${door} door)`, () => {
    const { serve } = useDoor(door);

    it('should send 200 and the SSE headers', async () => {
      const origin = await serve(() => of({ data: 'x' }), { headers: { 'X-Custom': 'yes' } });
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(200);
      expect(res.headers).to.include({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
        'x-custom': 'yes',
      });
    });

    it('should let a user header replace a default one', async () => {
      const origin = await serve(() => of({ data: 'x' }), {
        headers: { 'cache-control': 'no-store' },
      });
      expect((await fetchRaw(origin)).headers['cache-control']).to.equal('no-store');
    });

    it('should send the head at once, before any event, so the client opens', async () => {
      const origin = await serve(() => NEVER, { heartbeat: false });
      const res = await open(origin);
      expect(res.statusCode).to.equal(200);
      const source = new EventSource(origin);
      try {
        await new Promise<void>((resolve, reject) => {
          source.onopen = () => {
            resolve();
          };
          source.onerror = () => {
            reject(new Error('EventSource failed'));
          };
        });
      } finally {
        source.close();
        res.destroy();
      }
    });

    it('should write each event and end the response when the observable completes', async () => {
      const origin = await serve(() =>
        interval(5).pipe(
          take(10),
          map((i) => ({ event: 'counter', data: i })),
        ),
      );
      const res = await fetchRaw(origin);
      expect(res.body).to.equal(
        Array.from({ length: 10 }, (_, i) => `event: counter\ndata: ${i}\n\n`).join(''),
      );
    });

    it('should deliver every event to an EventSource client', async () => {
      const origin = await serve(() =>
        interval(5).pipe(
          take(10),
          map((i) => ({ event: 'counter', data: i })),
        ),
      );
      const source = new EventSource(origin);
      const received: string[] = [];
      source.addEventListener('counter', (event) => received.push(event.data));
      await waitFor(() => received.length === 10, 'ten counter events');
      source.close();
      expect(received).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    });

    it('should write every queued byte before ending, for a burst within maxBufferedBytes', async () => {
      const big = 'x'.repeat(1024);
      const origin = await serve(
        () => defer(() => of(...Array.from({ length: 2000 }, (_, i) => ({ id: i, data: big })))),
        // 2 MB in one turn: the bound must hold the largest burst.
        { maxBufferedBytes: 4 * 1024 * 1024 },
      );
      const events = parseEvents((await fetchRaw(origin)).body);
      expect(events).to.have.length(2000);
      expect(events.at(-1)).to.deep.equal({ id: '1999', event: undefined, data: big });
    });

    it('should send the retry preamble first', async () => {
      const origin = await serve(() => of({ data: 'x' }), { retry: 1500 });
      expect((await fetchRaw(origin)).body).to.equal('retry: 1500\n\ndata: x\n\n');
    });

    it('should write exactly the bytes of the wire format', async () => {
      const event = { event: 'e', id: 3, data: { a: 'b\nc' } };
      const origin = await serve(() => of(event, { comment: 'x', data: 'l1\r\nl2' }), {
        heartbeat: false,
      });
      expect((await fetchRaw(origin)).body).to.equal(
        'event: e\nid: 3\ndata: {"a":"b\\nc"}\n\n: x\ndata: l1\ndata: l2\n\n',
      );
    });

    it('should stop pulling a synchronous source at an event it cannot encode', async () => {
      let pulled = 0;
      const origin = await serve(() =>
        range(0, 100_000).pipe(
          tap(() => pulled++),
          map((i) => (i === 1 ? { event: 'a\nb', data: i } : { data: i })),
        ),
      );
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(500);
      expect(pulled).to.equal(2);
    });
  });

  describe(`sse: heartbeats (${door} door)`, () => {
    const { serve } = useDoor(door);

    it('should send heartbeats on real timers while the stream is idle', async () => {
      const origin = await serve(
        () => concat(of({ data: 'a' }), timer(200).pipe(map(() => ({ data: 'b' })))),
        { heartbeat: 30 },
      );
      // Real timers on a shared machine drift, so only the shape is pinned; the exact times are
      // pinned in virtual time below and in toWire.spec.ts.
      expect((await fetchRaw(origin)).body).to.match(/^data: a\n\n(:\n\n)+data: b\n\n$/);
    });

    it('should run heartbeats on options.scheduler', async () => {
      // A minute apart: real timers could not produce these within the test.
      const scheduler = new VirtualTimeScheduler(VirtualAction, 180_000);
      const origin = await serve(() => NEVER, { heartbeat: 60_000, scheduler });
      const res = await open(origin);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      expect(body).to.equal('');
      scheduler.flush(); // virtual 0..180 s: heartbeats at 60, 120 and 180 s
      await waitFor(() => body.length >= 9, 'three heartbeats', 2000);
      res.destroy();
      expect(body).to.equal(':\n\n:\n\n:\n\n');
    });

    it('should beat from one sweep per quarter period: ¾ to all of the period after the last frame', async () => {
      // Virtual time: sweeps at 15, 30, 45 … s. Silent from the open at 0 s: a heartbeat at 60 s.
      // An event at 70 s: the next at 120 s (50 s later, where a timer per stream would wait
      // until 130 s), never more than 60 s of silence.
      const scheduler = new VirtualTimeScheduler(VirtualAction, 125_000);
      const rest = new Subject<never>();
      const origin = await serve(
        () => concat(timer(70_000, scheduler).pipe(map(() => ({ data: 'x' }))), rest),
        { heartbeat: 60_000, scheduler },
      );
      const res = await open(origin);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      const ended = new Promise((resolve) => res.once('end', resolve));
      scheduler.flush();
      // Every frame of the flush is written; ending the stream now, its end proves all arrived.
      rest.complete();
      await ended;
      expect(body).to.equal(':\n\ndata: x\n\n:\n\n');
    });
  });
}
