import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { WireOptions } from '../options.js';
import type { SseEvent } from '../types.js';
import { toWire } from '../wire/toWire.js';

/**
 * The exact frames `sse` would write for `events`, with the same defaults (a heartbeat after 15 s
 * idle), as an Observable of strings to test with marbles. Inside `TestScheduler.run` the default
 * scheduler runs in virtual time, so a 15 s heartbeat is the marble `15s h`. (`sse` sweeps its
 * streams every quarter of the period, so on a server a stream that fell silent between two
 * sweeps gets its heartbeat up to a quarter sooner; the frames are the same.)
 *
 * ## Example
 * ```ts
 * import assert from 'node:assert/strict';
 * import { TestScheduler } from 'rxjs/testing';
 * import { NEVER, startWith } from 'rxjs';
 * import { encode } from 'rx-sse';
 * import { heartbeatFrame, toFrames } from 'rx-sse/testing';
 *
 * new TestScheduler((actual, expected) => assert.deepEqual(actual, expected)).run(({ expectObservable }) => {
 *   expectObservable(toFrames(NEVER.pipe(startWith({ data: 'hi' }))), '^ 20s !').toBe('a 14999ms h', {
 *     a: encode({ data: 'hi' }),
 *     h: heartbeatFrame,
 *   });
 * });
 * ```
 *
 * @param events The events, as a handler's Observable emits them.
 * @param options The wire options the listener would have: `retry` (ms), `heartbeat` (ms,
 *   defaults to `15000`; `false` disables), `serialize` (defaults to `JSON.stringify`).
 * @param scheduler Where the heartbeat's timer runs. Defaults to `asyncScheduler`, which inside
 *   `TestScheduler.run` is virtual time.
 * @returns The frames, one string per event, preamble or heartbeat. It errors with an
 *   `SseEventError` on an event `encode` refuses.
 * @throws {TypeError} at the call for an option out of range, as `toWire` does.
 */
export function toFrames(
  events: Observable<SseEvent>,
  options: WireOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<string> {
  return events.pipe(toWire(options, scheduler));
}
