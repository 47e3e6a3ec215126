import type { Unsubscribable } from 'rxjs';
import type { SseEvent } from '../types.js';

/**
 * How a source can hand its events to `sse()` without an Observable pipeline per stream: an
 * in-memory channel's `stream()` carries one under this key. `sse()` uses it only for a stream
 * returned as it is (a `pipe` makes a new Observable without it), so what a handler composes
 * always runs as composed.
 */
export const feedKey = Symbol('rx-sse.feed');

/** The receiving end of a feed (and of a channel hub's delivery): an RxJS subscriber is one. */
export interface FeedTarget {
  next(event: SseEvent): void;
  /** True once the stream is over: nothing more is taken. */
  readonly closed: boolean;
  complete(): void;
}

/** Starts feeding `target` (replay first, then live events) and returns the teardown. */
export type Feed = (target: FeedTarget) => Unsubscribable;

/** The feed an Observable carries, if any. */
export function feedOf(source: object): Feed | undefined {
  return (source as { [feedKey]?: Feed })[feedKey];
}
