import { checkFunction, checkInteger, checkKeys } from '../check.js';
import { describe } from '../describe.js';
import type { SseEvent } from '../wire/event.js';
import { formatId, parseId, type EventId } from './eventId.js';
import type { ChannelOptions, ResetReason, StreamFrom, StreamOptions } from './types.js';

export interface CheckedChannelOptions {
  readonly maxEvents: number;
  readonly maxAge: number;
  readonly resetEvent: string;
  readonly serialize: (data: unknown) => string;
}

const channelKeys: Record<keyof ChannelOptions, true> = {
  maxEvents: true,
  maxAge: true,
  resetEvent: true,
  serialize: true,
};

/** Checks the options both channels share; `more` names the caller's own option keys. */
export function checkChannelOptions(
  caller: string,
  options: ChannelOptions,
  more: readonly string[] = [],
): CheckedChannelOptions {
  checkKeys(caller, options, new Set([...Object.keys(channelKeys), ...more]));
  const { maxEvents = 1000, maxAge = Infinity, resetEvent = 'reset', serialize } = options;
  checkInteger(caller, 'options.maxEvents', maxEvents, 0);
  checkInteger(caller, 'options.maxAge (ms)', maxAge, 1);
  if (typeof resetEvent !== 'string' || resetEvent === '' || /[\r\n]/.test(resetEvent)) {
    throw new TypeError(
      `${caller}: options.resetEvent must be an event type: a non-empty string without CR or LF (got ${describe(resetEvent)})`,
    );
  }
  checkFunction(caller, 'options.serialize', serialize);
  return { maxEvents, maxAge, resetEvent, serialize: serialize ?? JSON.stringify };
}

/**
 * The client's Last-Event-ID, from whichever form `stream()` was given. An empty one is none: a
 * client told to forget its id (by an empty `id:`) is a new client.
 */
function lastEventIdOf(caller: string, from: StreamFrom): string | undefined {
  const given: unknown = from;
  const id =
    typeof given === 'object' && given !== null
      ? (from as { lastEventId?: unknown }).lastEventId
      : given;
  if (id === undefined || id === '') return undefined;
  if (typeof id === 'string') return id;
  throw new TypeError(
    `${caller}: from must be a context (or { lastEventId }), a Last-Event-ID string or undefined (got ${describe(from)})`,
  );
}

/** Checks `stream()`'s arguments: the Last-Event-ID given (parsed when it can be) and `recent`. */
export function streamRequest(
  caller: string,
  from: StreamFrom,
  options: StreamOptions,
): { lastEventId: string | undefined; id: EventId | undefined; recent: number } {
  const lastEventId = lastEventIdOf(caller, from);
  checkKeys(caller, options, streamKeys);
  const { recent = 0 } = options;
  checkInteger(caller, 'options.recent', recent, 0);
  return { lastEventId, id: lastEventId === undefined ? undefined : parseId(lastEventId), recent };
}

const streamKeys: ReadonlySet<string> = new Set(['recent'] satisfies (keyof StreamOptions)[]);

/**
 * The first event of a stream whose Last-Event-ID the history cannot answer for. Its id is where
 * the replay that follows starts, so a client that reconnects right after it is answered.
 */
export function resetEventFor(type: string, floor: EventId, reason: ResetReason): SseEvent {
  return { event: type, id: formatId(floor), data: reason };
}

/** Refuses what a channel cannot publish, before it reaches any subscriber. */
export function checkPublished(caller: string, event: unknown): void {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new TypeError(
      `${caller}: publish() takes an event such as { event: 'message', data: 'hi' } (got ${describe(event)})`,
    );
  }
  if (!('data' in event) || event.data === undefined) {
    throw new TypeError(
      `${caller}: a published event needs data (got none): EventSource dispatches nothing without it`,
    );
  }
  if ('id' in event && event.id !== undefined) {
    throw new TypeError(
      `${caller}: publish() assigns the id itself (got an event with id ${describe(event.id)}); send it without one`,
    );
  }
}
