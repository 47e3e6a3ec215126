export {
  createRedisChannel,
  type RedisChannel,
  type RedisChannelOptions,
} from './createRedisChannel.js';
export {
  createRedisResumableStreams,
  type RedisResumableOptions,
} from './createRedisResumableStreams.js';
