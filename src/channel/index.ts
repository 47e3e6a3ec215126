/**
 * Broadcast channels in memory: {@link createChannel} publishes each event to every live stream
 * and keeps a bounded history, so a client that reconnects with its Last-Event-ID gets exactly what
 * it missed. `rx-sse/redis` has the same channel across processes.
 *
 * @module rx-sse/channel
 */
export { createChannel, type Channel } from './createChannel.js';
export type {
  ChannelEvent,
  ChannelOptions,
  ResetReason,
  SseChannel,
  StreamFrom,
  StreamOptions,
} from './types.js';
