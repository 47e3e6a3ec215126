import type { Observable } from 'rxjs';
import type { StreamFrom } from '../channel/types.js';
import type { SseEvent } from '../wire/event.js';

export type { StreamFrom };

/** Options of `createResumableStreams`. */
export interface ResumableOptions {
  /**
   * How many ms an answer stays readable after it ends (completes, fails, or passes
   * `maxBytesPerStream`); then it is dropped and reading it is a `404`. An integer from `1` to
   * `2147483647` (~24.8 days, the longest timer). Defaults to `600000` (10 minutes). A running
   * answer never expires: end a producer that may hang with RxJS's `timeout()`.
   */
  ttl?: number | undefined;
  /**
   * How many answers are held at once, running and ended-within-`ttl` together; past it
   * `start()` throws an `HttpError` `503`. A positive integer. Defaults to `10000`.
   */
  maxStreams?: number | undefined;
  /**
   * How many bytes of encoded events (UTF-8, as they go on the wire, ids included) one answer may
   * hold. The event that would pass it is not kept: the answer ends with a `failed` event whose
   * data is `too-large` (its few bytes are not counted), and its producer is unsubscribed. A
   * positive integer. Defaults to `1048576` (1 MiB).
   */
  maxBytesPerStream?: number | undefined;
  /**
   * Told of an error that ended an answer: its producer's error (or an event `encode` refused),
   * or a `RangeError` for `maxBytesPerStream`, with the answer's id. Readers only ever see a
   * `failed` event, never the error. Defaults to logging with `console.error`.
   * @param error What ended the answer.
   * @param id The answer's id.
   */
  onError?: ((error: unknown, id: string) => void) | undefined;
}

/** Why an answer ended with a `failed` event: the `data` of that event. */
export type FailReason = 'error' | 'too-large';

/**
 * What every store of resumable streams offers, in memory or shared between processes (such as
 * on Redis): code written against it runs on either. A store that must ask elsewhere returns
 * promises; `sse()` handlers may return one, so `(ctx) => answers.read(id, ctx)` serves both.
 */
export interface SseResumableStreams {
  /**
   * Subscribes `producer` once, now, and returns the new answer's id. Its events are kept, each
   * with the id `<n>` (`0`, `1`, …) in place of any it had.
   * @param producer The answer's events. It runs to its end whether or not anyone reads it.
   * @returns The answer's id: a random UUID, all a reader needs.
   * @throws {HttpError} `503` when `maxStreams` answers are held, or the store is closed (a store
   *   that returns a promise rejects with it).
   */
  start(producer: Observable<SseEvent>): string | Promise<string>;
  /**
   * The answer's events after `from`'s Last-Event-ID (all of them without one), live while its
   * producer runs; completes when the answer has ended. Errors on subscribe with an `HttpError`
   * `404` for an answer that is unknown or expired, `400` for a Last-Event-ID that is not one of
   * the answer's ids.
   * @param id The answer's id, as `start` returned it.
   * @param from Where the client is: its handler's context, `{ lastEventId }`, the id itself, or
   *   `undefined` for all of the answer.
   * @returns The answer's events, each with its id `<n>` (or a promise of them).
   */
  read(id: string, from?: StreamFrom): Observable<SseEvent> | Promise<Observable<SseEvent>>;
  /**
   * Whether the answer `id` can be read now.
   * @param id The answer's id.
   * @returns `true` while it runs and for `ttl` ms after it ended (or a promise of that).
   */
  has(id: string): boolean | Promise<boolean>;
  /** Stops every producer, ends every reader and drops every answer. */
  close(): void | Promise<void>;
}
