import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { SseEvent } from '../wire/event.js';
import { compareIds, formatId, parseId, type EventId } from '../channel/eventId.js';
import type { Hub } from '../channel/hub.js';
import { resetEventFor } from '../channel/options.js';
import type { ResetReason } from '../channel/types.js';
import { batchSize, type RedisChannelSetup } from './checkRedisChannelOptions.js';
import { previousOf, type RawEntry } from './codec.js';
import type { EntryDecoder } from './EntryDecoder.js';
import { readLastId } from './scripts.js';

/** Where a replay starts: after an id, at the newest `recent`, or at the oldest (unknown id). */
export type ReplayStart = { after: EventId } | { recent: number } | { unknown: true };

/** What a replay works with: its channel's. */
export interface ReplayContext {
  readonly setup: RedisChannelSetup;
  readonly hub: Hub;
  readonly decoder: EntryDecoder;
  /** Streams still replaying from Redis: the hub does not know them yet, complete() must. */
  readonly replays: Set<Subscriber<SseEvent>>;
  /** Whether the channel is complete. */
  readonly stopped: () => boolean;
}

interface Reset {
  id: EventId;
  reason: ResetReason;
}

/** Where a replay stands between batches. */
interface Position {
  /** The id of the last entry passed: the next batch starts after it. */
  cursor: EventId;
  /** The reset to send before the next event, if the client has a gap to be told of. */
  reset: Reset | undefined;
  /** Whether Redis has shown that the cursor is not from the future. */
  known: boolean;
  /** Whether a gap from here on is announced with a reset. */
  announce: boolean;
}

/**
 * Replays from the Redis stream (after an id, the newest `recent`, or all of it after an
 * unknown id), batch by batch, then hands over to the local history where the two meet.
 */
export function replayFromRedis(context: ReplayContext, start: ReplayStart): Observable<SseEvent> {
  const { setup, hub, decoder, replays } = context;
  const { client, key, checked } = setup;
  const resetEvent = (reset: Reset) => resetEventFor(checked.resetEvent, reset.id, reset.reason);
  return new Observable<SseEvent>((subscriber) => {
    let live: Subscription | undefined;
    // A function, not the property: it changes across awaits and inside next().
    const gone = () => subscriber.closed;
    if (context.stopped()) {
      // complete() ends what is replaying from Redis; what starts after it gets no more.
      subscriber.complete();
      return;
    }
    replays.add(subscriber);
    const replay = async (): Promise<void> => {
      let { cursor, reset, known, announce } = await positionAt(context, start);
      const gap = (id: EventId) => {
        if (announce) reset = { id, reason: reset?.reason ?? 'expired' };
      };
      for (;;) {
        if (gone()) return;
        if (hub.holds(cursor)) break;
        const batch = entries(
          await client.xRange(key, `(${formatId(cursor)}`, '+', { COUNT: batchSize }),
        );
        if (batch.length === 0) {
          if (!known && compareIds(cursor, await readLastId(client, key)) > 0) {
            // Not an id Redis has given: start again from the oldest entry, with a reset.
            ({ cursor, reset, known, announce } = await positionAt(context, { unknown: true }));
            continue;
          }
          // Nothing after it in Redis: the local history (or the reader) has the rest — unless
          // the history moved past it while Redis answered, which is a gap like any other.
          if (compareIds(cursor, hub.floor) < 0) {
            gap(hub.floor);
            cursor = hub.floor;
          }
          break;
        }
        known = true;
        // Redis trims by age only when something is published: a quiet stream can hold more.
        const staleBefore = checked.maxAge === Infinity ? -Infinity : Date.now() - checked.maxAge;
        for (const raw of batch) {
          if (gone()) return;
          const id = parseId(raw.id);
          if (id === undefined) throw decoder.beyond(raw.id);
          const prev = previousOf(raw);
          if (compareIds(prev, cursor) > 0) gap(prev);
          const event = decoder.decode(raw);
          if (event === undefined || id.ms < staleBefore) {
            if (event !== undefined) gap(id);
            cursor = id;
            continue;
          }
          if (reset !== undefined) subscriber.next(resetEvent(reset));
          reset = undefined;
          subscriber.next(event);
          cursor = id;
          announce = true;
        }
      }
      replays.delete(subscriber);
      if (gone()) return;
      live = hub.after(cursor, reset && resetEvent(reset)).subscribe(subscriber);
    };
    replay().catch((error: unknown) => {
      subscriber.error(error);
    });
    return () => {
      replays.delete(subscriber);
      live?.unsubscribe();
    };
  });
}

/** Where a replay from `start` begins, before its first batch. */
async function positionAt(
  { setup: { client, key }, hub }: ReplayContext,
  start: ReplayStart,
): Promise<Position> {
  // A client that gave an id is told of every gap; one that asked for recent events, of those
  // after the first event it got.
  const announce = !('recent' in start);
  if ('after' in start) {
    // Not known until Redis shows that it is not from the future.
    return { cursor: start.after, reset: undefined, known: false, announce };
  }
  // The oldest entry to send: of the newest `recent`, or of them all.
  const oldest =
    'recent' in start && start.recent !== Infinity
      ? entries(await client.xRevRange(key, '+', '-', { COUNT: start.recent })).at(-1)
      : entries(await client.xRange(key, '-', '+', { COUNT: 1 }))[0];
  const cursor = oldest === undefined ? hub.last : previousOf(oldest);
  const reset: Reset | undefined =
    'unknown' in start ? { id: cursor, reason: 'unknown' } : undefined;
  return { cursor, reset, known: true, announce };
}

/** An XRANGE reply as node-redis types it (entries, or null for none). */
function entries(reply: readonly RawEntry[] | null): readonly RawEntry[] {
  return reply ?? [];
}
