export { createChannel, type Channel } from './createChannel.js';
export type {
  ChannelEvent,
  ChannelOptions,
  ResetReason,
  SseChannel,
  StreamFrom,
  StreamOptions,
} from './types.js';
