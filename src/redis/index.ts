export {
  createRedisChannel,
  type RedisChannel,
  type RedisChannelOptions,
} from './createRedisChannel.js';
