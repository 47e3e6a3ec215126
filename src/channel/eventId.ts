/**
 * A channel event id, in the form Redis Streams use: `<ms>-<n>`, the publishing time in ms and a
 * counter within that ms. Both channels share it, so a client can move between an in-memory and
 * a Redis channel's processes, and an id from an earlier run of a process still compares in time
 * with what the new run published.
 */
export interface EventId {
  readonly ms: number;
  readonly seq: number;
}

/** The id before every other: where a channel that has published nothing stands. */
export const originId: EventId = { ms: 0, seq: 0 };

const idPattern = /^(\d{1,16})-(\d{1,16})$/;

/** Parses `<ms>-<n>`; anything else (or a part past 2^53) is `undefined`, never an exception. */
export function parseId(text: string): EventId | undefined {
  const match = idPattern.exec(text);
  if (match === null) return undefined;
  const ms = Number(match[1]);
  const seq = Number(match[2]);
  if (!Number.isSafeInteger(ms) || !Number.isSafeInteger(seq)) return undefined;
  return { ms, seq };
}

export function formatId(id: EventId): string {
  return `${String(id.ms)}-${String(id.seq)}`;
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
export function compareIds(a: EventId, b: EventId): number {
  return a.ms === b.ms ? a.seq - b.seq : a.ms - b.ms;
}

/**
 * The id after `last` at time `now`. A clock that goes back never makes an id go back: the
 * counter carries on from the last id's ms instead, as Redis does.
 */
export function nextId(last: EventId, now: number): EventId {
  const ms = Math.floor(now);
  return ms > last.ms ? { ms, seq: 0 } : { ms: last.ms, seq: last.seq + 1 };
}
