/**
 * Channels and resumable streams on Redis (Redis Streams, Redis 7, with node-redis 6, an optional
 * peer dependency): {@link createRedisChannel} and {@link createRedisResumableStreams} do what
 * `rx-sse/channel` and `rx-sse/resumable` do in memory, for any number of server processes.
 *
 * @module rx-sse/redis
 */
export {
  createRedisChannel,
  type RedisChannel,
  type RedisChannelOptions,
} from './createRedisChannel.js';
export {
  createRedisResumableStreams,
  type RedisFailReason,
  type RedisResumableOptions,
  type RedisResumableStreams,
} from './createRedisResumableStreams.js';
