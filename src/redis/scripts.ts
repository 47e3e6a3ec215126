import type { RedisClientType } from 'redis';
import { parseId, type EventId } from '../channel/eventId.js';

// The id before the next one: the newest entry's, else (a stream emptied by trimming) the last
// id Redis generated, else 0-0 for a stream that does not exist yet.
const lastIdLua = `
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #newest > 0 then return newest[1][1] end
if redis.call('EXISTS', KEYS[1]) == 0 then return '0-0' end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then return info[i + 1] end
end
return '0-0'
`;

/**
 * Appends an event with the id of the entry before it (field p), in one atomic step, then trims
 * by count (ARGV[1], '' for none) and age (ARGV[2] ms, '' for none) on Redis's own clock.
 * ARGV[3..] are the event's fields. Returns the new id.
 */
export const publishScript = `
local function lastId()${lastIdLua}end
local prev = lastId()
local args = { 'XADD', KEYS[1] }
if ARGV[1] ~= '' then
  table.insert(args, 'MAXLEN'); table.insert(args, '='); table.insert(args, ARGV[1])
end
table.insert(args, '*'); table.insert(args, 'p'); table.insert(args, prev)
for i = 3, #ARGV do table.insert(args, ARGV[i]) end
local id = redis.call(unpack(args))
if ARGV[2] ~= '' then
  local now = redis.call('TIME')
  local oldest = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - tonumber(ARGV[2])
  if oldest > 0 then
    redis.call('XTRIM', KEYS[1], 'MINID', '=', string.format('%d-0', oldest))
  end
end
return id
`;

/**
 * Runs a script with EVAL, whose command goes out at the call: publishes run in the order they
 * were made. EVALSHA would save sending the script's text, but its fallback after NOSCRIPT (on
 * first use, or once a restart has flushed Redis's script cache) re-sends the command later,
 * behind publishes made since — measured: a burst of publishes stored out of order. Redis caches
 * the compiled script either way.
 */
export function runScript(
  client: RedisClientType,
  script: string,
  keys: string[],
  args: string[],
): Promise<unknown> {
  return client.eval(script, { keys, arguments: args });
}

/** The last id Redis generated for the stream (0-0 for none), which rx-sse must be able to order. */
export async function readLastId(client: RedisClientType, key: string): Promise<EventId> {
  const last = String(await runScript(client, lastIdLua, [key], []));
  const id = parseId(last);
  if (id === undefined) {
    throw new TypeError(
      `createRedisChannel: the last id of ${key}, ${last}, is beyond 2^53, which rx-sse cannot order`,
    );
  }
  return id;
}
