import type { Observable } from 'rxjs';
import type { SseEvent } from '../wire/event.js';

/** What a channel publishes: an event without an id, which the channel assigns. */
export type ChannelEvent = Omit<SseEvent, 'id'>;

/**
 * Where a stream starts: a handler's context (its `lastEventId`), any object with a
 * `lastEventId`, the id itself, or `undefined` for a client that has seen nothing.
 */
export type StreamFrom = { readonly lastEventId?: string | undefined } | string | undefined;

/** Options of `channel.stream()`. */
export interface StreamOptions {
  /**
   * How many of the newest held events a client without a Last-Event-ID gets before the live
   * ones, such as a chat's recent messages (`Infinity`: all of them). Defaults to `0`: only what
   * is published from now on.
   */
  recent?: number | undefined;
}

/** Options shared by both channels. */
export interface ChannelOptions {
  /**
   * The most events the history holds for replay; the oldest go first. Defaults to `1000`;
   * `Infinity` holds everything `maxAge` allows; `0` holds nothing (a reconnecting client that
   * missed an event is then always told to reset).
   */
  maxEvents?: number | undefined;
  /**
   * Events older than this many ms (an integer) are dropped from the history. Defaults to
   * `Infinity`.
   */
  maxAge?: number | undefined;
  /**
   * The event type a stream starts with when the client's Last-Event-ID cannot be answered (see
   * `stream`). Its `data` is `expired` (older than the history) or `unknown`. Defaults to
   * `'reset'`.
   */
  resetEvent?: string | undefined;
  /** Turns non-string `data` into text, once per event. Defaults to `JSON.stringify`. */
  serialize?: ((data: unknown) => string) | undefined;
}

/** Why a stream started with a reset event. */
export type ResetReason = 'expired' | 'unknown';

/** What both channels have in common: code written against it runs on either. */
export interface SseChannel {
  /**
   * Publishes an event and returns its id. It needs `data` (EventSource dispatches nothing
   * without it) and no `id` (the channel assigns it).
   */
  publish(event: ChannelEvent): string | Promise<string>;
  /** Publishes `data` as an event of type `event` (default: `message`) and returns its id. */
  send(data: unknown, event?: string): string | Promise<string>;
  /**
   * The events after the client's Last-Event-ID (the history, then live), or live from now on
   * for a new client: what a handler returns.
   */
  stream(from?: StreamFrom, options?: StreamOptions): Observable<SseEvent>;
  /** Ends every stream of this channel (after what was published has been delivered). */
  complete(): void | Promise<void>;
  /** Whether `complete()` has been called. */
  readonly closed: boolean;
}
