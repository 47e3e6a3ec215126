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
 */
export function toFrames(
  events: Observable<SseEvent>,
  options: WireOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<string> {
  return events.pipe(toWire(options, scheduler));
}
