import { dataText } from '../wire/encode.js';
import type { SseEvent } from '../wire/event.js';
import { eventOf, type RawEntry } from './codec.js';

// How an answer is kept in Redis, by createRedisResumableStreams:
//   <prefix>:<id>        a stream: entry 0-1 opens it (field s), then event <n> is entry 1-<n>
//                        with the codec's fields (e type, d data text, j '1' when d is JSON,
//                        c comment, r retry); the last entry also has x: 'done' (no event, the
//                        answer completed) or 'failed' (an event { event: 'failed', data }).
//   <prefix>:<id>:lease  a string set with PX while the producer runs; gone means lost.
// Ids are given by the writer, one after the other, so that a Last-Event-ID <n> is the entry
// 1-<n>, and a script refuses any write that does not follow the entry before it: no gap.

/** How many entries one XRANGE or XREAD asks for. */
export const resumableBatch = 500;

/** The stream entry id of event `seq` (`-1` for the opening entry). */
export function entryId(seq: number): string {
  return seq < 0 ? '0-1' : `1-${String(seq)}`;
}

/** The event number of an entry id (`-1` for the opening entry), or `undefined` for another. */
export function seqOf(id: string): number | undefined {
  if (id === '0-1') return -1;
  if (!id.startsWith('1-')) return undefined;
  const n = Number(id.slice(2));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** One entry of an answer, read. */
export interface AnswerEntry {
  readonly seq: number;
  /** The event to send, if the entry is one (not the opening entry or a `done` marker). */
  readonly event: Readonly<SseEvent> | undefined;
  /** Whether this is the answer's last entry. */
  readonly last: boolean;
}

/** The fields stored for an event that already has its id `<n>` (checked by `preEncode`). */
export function fieldsOf(event: SseEvent): string[] {
  const { data, event: type, comment, retry } = event;
  const fields: string[] = [];
  if (type !== undefined) fields.push('e', type);
  if (data !== undefined) {
    fields.push('d', dataText(data, JSON.stringify));
    if (typeof data !== 'string') fields.push('j', '1');
  }
  if (comment !== undefined) fields.push('c', comment);
  if (retry !== undefined) fields.push('r', String(retry));
  return fields;
}

/** The fields of the entry that ends an answer with `{ event: 'failed', data: reason }`. */
export function failedFields(reason: string): string[] {
  return ['e', 'failed', 'd', reason, 'x', 'failed'];
}

/** The fields of the entry that ends an answer that completed. */
export const doneFields: readonly string[] = ['x', 'done'];

/** Reads an entry; `undefined` for an id that is not an answer's (someone else wrote it). */
export function readEntry(raw: RawEntry): AnswerEntry | undefined {
  const seq = seqOf(raw.id);
  if (seq === undefined) return undefined;
  const message = raw.message as Readonly<Record<string, string | undefined>>;
  const { x } = message;
  if (seq < 0 || x === 'done') return { seq, event: undefined, last: x === 'done' };
  const event = eventOf(
    String(seq),
    message,
    JSON.stringify,
    (text) => JSON.parse(text) as unknown,
  );
  return { seq, event, last: x === 'failed' };
}

/**
 * Appends entry ARGV[2] to stream KEYS[1] if its newest entry is ARGV[1] and did not end the
 * answer, else fails (the answer is gone, or another process ended it as lost). With a ttl in ARGV[3] (not ''), the entry ends
 * the answer: the stream expires in ttl ms and the lease KEYS[2] goes. ARGV[4..] are the fields.
 */
export const writeScript = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #newest == 0 then return redis.error_reply('rx-sse: the answer is gone (expired or deleted)') end
if newest[1][1] ~= ARGV[1] then
  return redis.error_reply('rx-sse: the answer was ended elsewhere, as lost (its lease lapsed)')
end
local fields = newest[1][2]
for i = 1, #fields, 2 do
  if fields[i] == 'x' then return redis.error_reply('rx-sse: the answer has ended') end
end
redis.call('XADD', KEYS[1], ARGV[2], unpack(ARGV, 4))
if ARGV[3] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  redis.call('DEL', KEYS[2])
end
return 1
`;

/**
 * For each pair (stream, lease) in KEYS whose lease is gone: a stream that has not ended gets
 * the entry { event: 'failed', data: 'lost' } that ends it, and expires in ARGV[1] ms. Gives a
 * code per pair: 0 alive or ended, 1 ended now as lost, 2 no such stream.
 */
export const reapScript = `
local out = {}
for i = 1, #KEYS, 2 do
  local code = 0
  if redis.call('EXISTS', KEYS[i + 1]) == 0 then
    local newest = redis.call('XREVRANGE', KEYS[i], '+', '-', 'COUNT', 1)
    if #newest == 0 then
      code = 2
    else
      local ended = false
      local fields = newest[1][2]
      for j = 1, #fields, 2 do
        if fields[j] == 'x' then ended = true end
      end
      if not ended then
        local id = newest[1][1]
        local seq = -1
        if id ~= '0-1' then seq = tonumber(string.sub(id, 3)) end
        redis.call('XADD', KEYS[i], string.format('1-%d', seq + 1), 'e', 'failed', 'd', 'lost', 'x', 'failed')
        redis.call('PEXPIRE', KEYS[i], ARGV[1])
        code = 1
      end
    end
  end
  out[#out + 1] = code
end
return out
`;
