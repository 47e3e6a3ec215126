// The chat sample: type on the page, everyone reading it sees the message.
//
// In memory (one process):
//   node --conditions=rx-sse-source --import tsx samples/chat/server.ts
// On Redis (any number of processes share one channel):
//   REDIS_URL=redis://127.0.0.1:6379 PORT=8080 node --conditions=rx-sse-source --import tsx samples/chat/server.ts
//   REDIS_URL=redis://127.0.0.1:6379 PORT=8081 node --conditions=rx-sse-source --import tsx samples/chat/server.ts
// Then open http://localhost:8080/ and http://localhost:8081/ and type in either.
import { createClient, type RedisClientType } from 'redis';
import { createChannel, type SseChannel } from 'rx-sse/channel';
import { createRedisChannel } from 'rx-sse/redis';
import { serve } from '../serve.js';
import { chatApp } from './chat.js';

const url = process.env['REDIS_URL'];
let channel: SseChannel;
let redis: RedisClientType | undefined;
if (url === undefined || url === '') {
  channel = createChannel({ maxEvents: 1000 });
} else {
  redis = createClient({ url });
  redis.on('error', (error: unknown) => {
    console.error('chat: redis', error);
  });
  await redis.connect();
  channel = await createRedisChannel(redis, 'rx-sse:chat', { maxEvents: 1000 });
}
const port = process.env['PORT'] ?? '8080';
const server = serve(chatApp(channel, url ? `:${port}, on Redis` : `:${port}, in memory`), 'chat');
process.once('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
});
server.once('close', () => {
  void (async () => {
    await channel.complete();
    await redis?.close();
  })();
});
