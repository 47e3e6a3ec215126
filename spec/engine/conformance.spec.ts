import { expect } from 'chai';
import fc from 'fast-check';
import { get } from 'node:http';
import { Observable, VirtualAction, VirtualTimeScheduler, type SchedulerLike } from 'rxjs';
import { encode, sse, toResponse, type SseEvent, type SseListener, type WireOptions } from 'rx-sse';
import { heartbeatFrame, toFrames } from 'rx-sse/testing';
import { startServer, waitFor, type TestServer } from '../support/server.js';

// One engine behind two doors, and toFrames as the reference of the bytes: for any events, in any
// grouping into turns, the node door's body, the fetch door's body and toFrames's frames are the
// same bytes. With heartbeats, the server's sweep beats after ¾ to all of the period idle while
// toFrames beats at exactly the period: every other frame is the same, at the same virtual time.

/** Text with line breaks of every kind anywhere, non-ASCII, astral and lone surrogates. */
const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom('\n', '\r', '\r\n', '\n\n', 'é', '日本', '😀', '\ud800', '\udfff', ' ', ':'),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));

/** An event name: anything but CR and LF. */
const name = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((s) => !/[\r\n]/.test(s));

/** An id `encode` accepts: a number, or text with no control character nor edge whitespace. */
const id = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc
    .array(fc.constantFrom('a', 'Z', '7', ' ', '\t', 'é', '日', '😀', '-', ':'), { maxLength: 6 })
    .map((chars) => chars.join(''))
    .filter((s) => !/^[ \t]|[ \t]$/.test(s)),
);

const event: fc.Arbitrary<SseEvent> = fc
  .record(
    {
      data: fc.oneof(text, fc.jsonValue({ maxDepth: 2 })),
      event: name,
      id,
      retry: fc.nat(),
      comment: text,
    },
    { requiredKeys: [] },
  )
  .filter((e) => Object.keys(e).length > 0);

/**
 * A turn's events, and how that turn is reached from the one before: in the same turn
 * (`sync`; the first turn then runs inside subscribe), after a microtask, or after a macrotask.
 */
interface Turn {
  gap: 'sync' | 'microtask' | 'macrotask';
  events: SseEvent[];
}

const turns: fc.Arbitrary<Turn[]> = fc.array(
  fc.record({
    gap: fc.constantFrom('sync', 'microtask', 'macrotask'),
    events: fc.array(event, { maxLength: 5 }),
  }),
  { maxLength: 6 },
);

/** How the stream ends: it completes, or it errors and `onError` answers with `last`. */
type Ending = { how: 'complete' } | { how: 'error'; last: SseEvent | undefined };

const ending: fc.Arbitrary<Ending> = fc.oneof(
  fc.constant({ how: 'complete' as const }),
  fc.record({ how: fc.constant('error' as const), last: fc.option(event, { nil: undefined }) }),
);

/** Emits `script`'s turns, each after its gap, then ends (after one more macrotask or not). */
function play(script: Turn[], lastGap: boolean, end: Ending): Observable<SseEvent> {
  return new Observable<SseEvent>((subscriber) => {
    void (async () => {
      for (const { gap, events } of script) {
        if (gap === 'microtask') await Promise.resolve();
        else if (gap === 'macrotask') await new Promise((resolve) => setImmediate(resolve));
        for (const e of events) {
          if (subscriber.closed) return;
          subscriber.next(e);
        }
      }
      if (lastGap) await new Promise((resolve) => setImmediate(resolve));
      if (end.how === 'complete') subscriber.complete();
      else subscriber.error(new Error('boom'));
    })();
  });
}

/** toFrames's frames, up to the stream's end whatever it is. */
function reference(source: Observable<SseEvent>, options: WireOptions): Promise<string> {
  const frames: string[] = [];
  return new Promise((resolve) => {
    toFrames(source, options).subscribe({
      next: (frame) => frames.push(frame),
      complete: () => resolve(frames.join('')),
      error: () => resolve(frames.join('')),
    });
  });
}

/** The node door's body, as bytes, read whole by node's own client. */
function nodeBody(origin: string): Promise<{ status: number; type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(origin, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          type: res.headers['content-type'] ?? '',
          body: Buffer.concat(chunks),
        });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Turns to let the writer's microtask and the body's reads run. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the engine: both doors write exactly what toFrames says', function () {
  this.timeout(60_000);
  let server: TestServer;
  /** The listener the node server serves for the current run. */
  let current: SseListener | undefined;
  before(async () => {
    server = await startServer((req, res) => {
      current!(req, res);
    });
  });
  after(() => server.close());

  it('should write the same bytes on the node door, the fetch door, toResponse and toFrames, for any events and turns', async () => {
    await fc.assert(
      fc.asyncProperty(
        turns,
        fc.boolean(),
        ending,
        fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
        async (script, lastGap, end, retry) => {
          const wire = { heartbeat: false as const, retry };
          const listener = sse(() => play(script, lastGap, end), {
            ...wire,
            onError: () => (end.how === 'error' ? end.last : undefined),
          });
          current = listener;
          const node = await nodeBody(server.origin);
          const response = await listener.fetch(new Request('http://x/'));
          const fetched = Buffer.from(await response.arrayBuffer());
          const stats = listener.stats;
          // toResponse: the fetch door for one request, on the same engine.
          const single = await toResponse(play(script, lastGap, end), {
            ...wire,
            onError: () => (end.how === 'error' ? end.last : undefined),
          });
          const singleBytes = Buffer.from(await single.arrayBuffer());
          // An error inside subscribe() comes before the head: a status, on both doors.
          if (end.how === 'error' && !lastGap && script.every(({ gap }) => gap === 'sync')) {
            expect([node.status, node.type, node.body.toString()]).to.deep.equal([
              500,
              'text/plain; charset=utf-8',
              'Internal Server Error',
            ]);
            expect([response.status, fetched.toString()]).to.deep.equal([
              500,
              'Internal Server Error',
            ]);
            expect([single.status, singleBytes.toString()]).to.deep.equal([
              500,
              'Internal Server Error',
            ]);
            expect(stats).to.include({ opened: 0, refused: 2, errors: 2 });
            return;
          }
          const last = end.how === 'error' && end.last !== undefined ? encode(end.last) : '';
          const expected = Buffer.from(
            (await reference(play(script, lastGap, end), wire)) + last,
            'utf8',
          );
          expect([node.status, node.type]).to.deep.equal([200, 'text/event-stream; charset=utf-8']);
          expect([response.status, response.headers.get('content-type')]).to.deep.equal([
            200,
            'text/event-stream; charset=utf-8',
          ]);
          // As text first, for a readable difference; then byte for byte.
          expect(node.body.toString('utf8')).to.equal(expected.toString('utf8'));
          expect(fetched.toString('utf8')).to.equal(expected.toString('utf8'));
          expect(node.body.equals(expected)).to.equal(true);
          expect(fetched.equals(expected)).to.equal(true);
          expect(single.status).to.equal(200);
          expect(singleBytes.equals(expected)).to.equal(true);
          // The figures count what went out: every byte, and each event once per door.
          const events = script.reduce((n, turn) => n + turn.events.length, 0) + (last ? 1 : 0);
          expect(stats).to.deep.equal({
            open: 0,
            opened: 2,
            refused: 0,
            events: 2 * events,
            bytes: node.body.length + fetched.length,
            dropped: 0,
            closedSlow: 0,
            errors: end.how === 'error' ? 2 : 0,
          });
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** A frame and the virtual time it was written at. */
interface Timed {
  at: number;
  frame: string;
}

/** Events at virtual times (ms after subscribe), then completion at `end`. */
interface Timeline {
  events: { at: number; event: SseEvent }[];
  end: number;
  retry: number | undefined;
}

const period = 1000;

const timeline: fc.Arbitrary<Timeline> = fc
  .record({
    gaps: fc.array(fc.record({ gap: fc.nat({ max: 2.6 * period }), data: text }), {
      maxLength: 8,
    }),
    end: fc.nat({ max: 2.6 * period }),
    retry: fc.option(fc.nat({ max: 100_000 }), { nil: undefined }),
  })
  .map(({ gaps, end, retry }) => {
    let at = 0;
    const events = gaps.map(({ gap, data }, i) => ({ at: (at += gap), event: { id: i, data } }));
    return { events, end: at + end, retry };
  });

/** `line`'s events at their virtual times on `scheduler`, then completion. */
function scheduled(line: Timeline, scheduler: SchedulerLike): Observable<SseEvent> {
  return new Observable<SseEvent>((subscriber) => {
    for (const { at, event: e } of line.events) {
      subscriber.add(scheduler.schedule(() => subscriber.next(e), at));
    }
    subscriber.add(scheduler.schedule(() => subscriber.complete(), line.end));
  });
}

/** Splits text into whole frames (each ends in a blank line; none holds one inside). */
function framer(): (text: string) => string[] {
  let rest = '';
  return (chunk) => {
    rest += chunk;
    const parts = rest.split('\n\n');
    rest = parts.pop()!;
    return parts.map((part) => `${part}\n\n`);
  };
}

/**
 * Serves `line` through the fetch door with `options.scheduler` a VirtualTimeScheduler, stepping
 * virtual time from one scheduled action to the next and letting the writer and the body run in
 * between: every frame read, with the virtual time it came at, and when the body ended.
 */
async function fetchTimed(line: Timeline): Promise<{ frames: Timed[]; endedAt: number }> {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const listener = sse(() => scheduled(line, scheduler), {
    heartbeat: period,
    retry: line.retry,
    scheduler,
  });
  const response = await listener.fetch(new Request('http://x/'));
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const split = framer();
  const frames: Timed[] = [];
  let endedAt: number | undefined;
  const reading = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        endedAt = scheduler.frame;
        return;
      }
      for (const frame of split(decoder.decode(value, { stream: true })))
        frames.push({ at: scheduler.frame, frame });
    }
  })();
  await nextTurn();
  const limit = line.end + 2 * period;
  while (endedAt === undefined) {
    const next = scheduler.actions[0];
    if (next === undefined) throw new Error('nothing is scheduled, yet the body has not ended');
    if (next.delay > limit) throw new Error(`the body had not ended at ${limit} ms virtual`);
    scheduler.maxFrames = next.delay;
    scheduler.flush();
    await nextTurn();
  }
  await reading;
  return { frames, endedAt };
}

/**
 * Serves `line` through the node door on `origin` (whose listener `serve` sets), stepping virtual
 * time as {@link fetchTimed} does; at each step it waits for the frames the fetch door wrote by
 * then (`expected`), so a frame the node door writes later than the fetch door times out here,
 * and one it writes sooner shows up at an earlier time.
 */
async function nodeTimed(
  line: Timeline,
  serve: (listener: SseListener) => string,
  expected: { frames: Timed[]; endedAt: number },
): Promise<{ frames: Timed[]; endedAt: number }> {
  const scheduler = new VirtualTimeScheduler(VirtualAction, 0);
  const origin = serve(
    sse(() => scheduled(line, scheduler), { heartbeat: period, retry: line.retry, scheduler }),
  );
  const split = framer();
  const frames: Timed[] = [];
  let endedAt: number | undefined;
  await new Promise<void>((resolve, reject) => {
    get(origin, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const frame of split(chunk)) frames.push({ at: scheduler.frame, frame });
      });
      res.on('end', () => (endedAt = scheduler.frame));
      resolve();
    }).on('error', reject);
  });
  const due = () => expected.frames.filter((t) => t.at <= scheduler.frame).length;
  const limit = line.end + 2 * period;
  // One scheduled moment at a time, as fetchTimed, from what is due at 0 ms: the frames due then
  // (a retry preamble, an event at 0 ms) are awaited once that moment has run, since an event at
  // 0 ms is an action of the scheduler too.
  for (;;) {
    const next = scheduler.actions[0];
    if (next === undefined || next.delay > limit) throw new Error('the stream did not end');
    scheduler.maxFrames = next.delay;
    scheduler.flush();
    await waitFor(() => frames.length >= due(), `the frames due at ${scheduler.frame} ms`, 2000);
    if (scheduler.frame >= expected.endedAt) {
      await waitFor(() => endedAt !== undefined, 'the end of the response', 2000);
      return { frames, endedAt: endedAt! };
    }
  }
}

/** `text` as it comes back from its UTF-8 bytes (a lone surrogate is U+FFFD). */
const asSent = (text: string): string => new TextDecoder().decode(new TextEncoder().encode(text));

/** toFrames's frames for `line`, as they read once sent, with their virtual times. */
function referenceTimed(line: Timeline): Timed[] {
  const scheduler = new VirtualTimeScheduler(VirtualAction, line.end + 2 * period);
  const frames: Timed[] = [];
  toFrames(
    scheduled(line, scheduler),
    { heartbeat: period, retry: line.retry },
    scheduler,
  ).subscribe((frame) => frames.push({ at: scheduler.frame, frame: asSent(frame) }));
  scheduler.flush();
  return frames;
}

/** Each heartbeat's idle time: since the frame before it, or the open (virtual 0). */
function heartbeatIdles(frames: Timed[]): number[] {
  return frames.flatMap(({ at, frame }, i) =>
    frame === heartbeatFrame ? [at - (i === 0 ? 0 : frames[i - 1]!.at)] : [],
  );
}

describe('the engine: heartbeats on virtual time', function () {
  this.timeout(30_000);

  it('should write the frames toFrames does, at the same times, beating after ¾ to all of the period idle', async () => {
    await fc.assert(
      fc.asyncProperty(timeline, async (line) => {
        const { frames, endedAt } = await fetchTimed(line);
        const reference = referenceTimed(line);
        const notBeats = (list: Timed[]) => list.filter((t) => t.frame !== heartbeatFrame);
        expect(notBeats(frames)).to.deep.equal(notBeats(reference));
        // The server: a heartbeat after ¾ to all of the period idle…
        for (const idle of heartbeatIdles(frames)) {
          expect(idle).to.be.within(0.75 * period, period);
        }
        // …and never more than the period without a frame, from the open to the end.
        const times = [0, ...frames.map((t) => t.at), endedAt];
        for (let i = 1; i < times.length; i++) {
          expect(times[i]! - times[i - 1]!).to.be.at.most(period);
        }
        expect(endedAt).to.equal(line.end);
        // toFrames: a heartbeat exactly at the period.
        for (const idle of heartbeatIdles(reference)) expect(idle).to.equal(period);
      }),
      { numRuns: 40 },
    );
  });

  it('should write the same frames at the same virtual times on the node door as on the fetch door', async () => {
    let current: SseListener | undefined;
    const server = await startServer((req, res) => {
      current!(req, res);
    });
    try {
      await fc.assert(
        fc.asyncProperty(timeline, async (line) => {
          const fetched = await fetchTimed(line);
          const node = await nodeTimed(
            line,
            (listener) => {
              current = listener;
              return server.origin;
            },
            fetched,
          );
          expect(node).to.deep.equal(fetched);
        }),
        {
          numRuns: 20,
          // Found by a CI run: an event at 0 ms is an action of the scheduler like any other.
          examples: [
            [{ events: [{ at: 0, event: { id: 0, data: '' } }], end: 0, retry: undefined }],
          ],
        },
      );
    } finally {
      await server.close();
    }
  });

  it('should beat at ¾ of the period after a frame written just before a sweep', async () => {
    // Sweeps at 250, 500, 750… ms: an event at 240 ms is idle 760 ms at the sweep of 1000 ms,
    // where toFrames waits until 1240 ms; one at 260 ms gets its beat at 1250 ms (990 ms idle).
    const line: Timeline = {
      events: [
        { at: 240, event: { data: 'a' } },
        { at: 1100, event: { data: 'b' } },
        { at: 1110, event: { data: 'c' } },
      ],
      end: 2200,
      retry: undefined,
    };
    const { frames, endedAt } = await fetchTimed(line);
    expect(frames).to.deep.equal([
      { at: 240, frame: 'data: a\n\n' },
      { at: 1000, frame: heartbeatFrame },
      { at: 1100, frame: 'data: b\n\n' },
      { at: 1110, frame: 'data: c\n\n' },
      { at: 2000, frame: heartbeatFrame },
    ]);
    expect(endedAt).to.equal(2200);
    expect(referenceTimed(line)).to.deep.equal([
      { at: 240, frame: 'data: a\n\n' },
      { at: 1100, frame: 'data: b\n\n' },
      { at: 1110, frame: 'data: c\n\n' },
      { at: 2110, frame: heartbeatFrame },
    ]);
  });
});
