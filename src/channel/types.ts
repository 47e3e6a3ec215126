import type { Observable } from 'rxjs';
import type { SseEvent } from '../wire/event.js';

/** What a channel publishes: an event without an id, which the channel assigns. */
export type ChannelEvent = Omit<SseEvent, 'id'>;

/**
 * Where a stream starts: a handler's context (its `lastEventId`), any object with a
 * `lastEventId`, the id itself, or `undefined` for a client that has seen nothing. An empty id is
 * no id: a client told to forget its id is a new client.
 */
export type StreamFrom =
  | {
      /** The id of the last event the client has, as its `Last-Event-ID` header sent it. */
      readonly lastEventId?: string | undefined;
    }
  | string
  | undefined;

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
  /**
   * Turns non-string `data` into text, once per event, when it is published. Defaults to
   * `JSON.stringify`.
   * @param data A published event's `data`, when it is not a string.
   * @returns Its text; throwing, or returning anything but a string, refuses the event at the
   *   publisher with an `SseEventError`.
   */
  serialize?: ((data: unknown) => string) | undefined;
}

/** Why a stream started with a reset event. */
export type ResetReason = 'expired' | 'unknown';

/** What both channels have in common: code written against it runs on either. */
export interface SseChannel {
  /**
   * Publishes an event and returns its id. It needs `data` (EventSource dispatches nothing
   * without it) and no `id` (the channel assigns it).
   * @param event The event: `data`, and optionally `event`, `retry` and `comment`.
   * @returns The id the channel gave it, `<ms>-<n>` (at once in memory; once Redis has it on
   *   Redis).
   * The in-memory channel throws these; the Redis channel's promise rejects with them.
   * @throws {TypeError} for an event without `data`, with an `id`, or published after
   *   `complete()`.
   * @throws {SseEventError} for an event `encode` refuses (a bad `event` type, an unknown key, data
   *   `serialize` cannot turn into text).
   */
  publish(event: ChannelEvent): string | Promise<string>;
  /**
   * Publishes `data` as an event of type `event` (default: `message`) and returns its id.
   * @param data The event's data: a string as it is, anything else through `serialize`.
   * @param event The event type. Defaults to none: a `message` event.
   * @returns The id the channel gave it, as `publish` does.
   * @throws {TypeError} as `publish` does.
   */
  send(data: unknown, event?: string): string | Promise<string>;
  /**
   * The events after the client's Last-Event-ID (the history, then live), or live from now on
   * for a new client: what a handler returns.
   * @param from Where the client is: its handler's context, `{ lastEventId }`, the id itself, or
   *   `undefined` for a new client.
   * @param options How many recent events a new client gets first. Defaults to none.
   * @returns A cold Observable: each subscription starts where it is subscribed, from the history
   *   as it is then, led by a reset event when the Last-Event-ID cannot be answered. It completes
   *   when the channel does.
   * @throws {TypeError} at the call for a `from` of another type, or a `recent` that is not a
   *   non-negative integer or `Infinity`.
   */
  stream(from?: StreamFrom, options?: StreamOptions): Observable<SseEvent>;
  /** Ends every stream of this channel (after what was published has been delivered). */
  complete(): void | Promise<void>;
  /** Whether `complete()` has been called. */
  readonly closed: boolean;
}
