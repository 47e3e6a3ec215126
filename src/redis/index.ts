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
