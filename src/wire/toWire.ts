import {
  asyncScheduler,
  map,
  Observable,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { checkInteger, maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import type { EncodeOptions, WireOptions } from '../options.js';
import { encode } from './encode.js';
import type { SseEvent } from './event.js';

/** The frame a heartbeat writes: an empty comment, which clients ignore. */
export const heartbeatFrame = ':\n\n';

/** Heartbeats every 15 s unless told otherwise: under the 30–60 s idle cut-off of most proxies. */
export const defaultHeartbeat = 15_000;

/**
 * Turns a stream of events into the exact text a client receives: the `retry` preamble, one
 * frame per event, and a heartbeat comment whenever the stream has been idle for `heartbeat` ms.
 *
 * These are the rules both doors apply to bytes, with no I/O, so they can be tested with marbles.
 * (The server's engine applies the same rules to each stream without an operator chain, which an
 * idle stream would pay for in memory, and beats the heartbeat from one sweep over all its
 * streams; a spec keeps the two byte for byte the same.) An event that {@link encode} refuses errors the stream and none of it is emitted.
 * Each event costs one clock read: the heartbeat timer is not reset per event but wakes when the
 * stream could first have been idle long enough, and sleeps again for the time still missing.
 *
 * ## Example
 * ```ts
 * import { of } from 'rxjs';
 * import { toWire } from 'rx-sse';
 *
 * of({ data: 'hi' }).pipe(toWire({ retry: 2000 })).subscribe((frame) => console.log(JSON.stringify(frame)));
 * // Logs:
 * // "retry: 2000\n\n"
 * // "data: hi\n\n"
 * ```
 *
 * @param options The `retry` preamble (ms), the `heartbeat` period (ms; defaults to `15000`,
 *   `false` disables) and `serialize` (defaults to `JSON.stringify`).
 * @param scheduler Where the heartbeat's timer runs. Defaults to `asyncScheduler`; a
 *   `TestScheduler` in marble tests.
 * @returns An operator from events to frames: each frame is the exact text of one event (or the
 *   preamble, or a heartbeat's `:\n\n`). It errors with an {@link SseEventError} on an event
 *   `encode` refuses.
 * @throws {TypeError} at the call for a `retry` that is not an integer of ms from 0 to
 *   2147483647, a `heartbeat` that is neither `false` nor a number of ms from 1 to 2147483647, or a
 *   `serialize` that is not a function.
 */
export function toWire(
  options: WireOptions = {},
  scheduler: SchedulerLike = asyncScheduler,
): OperatorFunction<SseEvent, string> {
  const { heartbeat, preamble, encodeOptions } = checkWireOptions(options, 'toWire');
  return (source) =>
    new Observable<string>((subscriber) => {
      let lastWrite = scheduler.now();
      if (preamble !== undefined) subscriber.next(preamble);
      if (heartbeat !== false) {
        subscriber.add(
          scheduler.schedule(function (this: SchedulerAction<undefined>) {
            const idle = scheduler.now() - lastWrite;
            if (idle >= heartbeat) {
              lastWrite = scheduler.now();
              subscriber.next(heartbeatFrame);
              this.schedule(undefined, heartbeat);
            } else {
              this.schedule(undefined, heartbeat - idle);
            }
          }, heartbeat),
        );
      }
      // Subscribing with the subscriber itself links the two: once it is closed (an error, an
      // unsubscribe) even a synchronous source stops being pulled.
      source
        .pipe(
          map((event) => {
            const frame = encode(event, encodeOptions);
            lastWrite = scheduler.now();
            return frame;
          }),
        )
        .subscribe(subscriber);
    });
}

interface CheckedWireOptions {
  heartbeat: number | false;
  preamble: string | undefined;
  encodeOptions: EncodeOptions;
}

/** Checks the wire options once, at setup, so a mistake fails loudly before any client connects. */
export function checkWireOptions(options: WireOptions, caller: string): CheckedWireOptions {
  const { retry, heartbeat = defaultHeartbeat, serialize } = options;
  if (retry !== undefined) checkInteger(caller, 'options.retry (ms)', retry, 0, maxTimerDelay);
  if (
    heartbeat !== false &&
    (typeof heartbeat !== 'number' || !(heartbeat >= 1) || heartbeat > maxTimerDelay)
  ) {
    throw new TypeError(
      `${caller}: options.heartbeat must be a number of ms from 1 to ${maxTimerDelay}, or false to disable (got ${describe(heartbeat)})`,
    );
  }
  if (serialize !== undefined && typeof serialize !== 'function') {
    throw new TypeError(
      `${caller}: options.serialize must be a function (got ${describe(serialize)})`,
    );
  }
  return {
    heartbeat,
    preamble: retry === undefined ? undefined : encode({ retry }),
    encodeOptions: serialize === undefined ? {} : { serialize },
  };
}
