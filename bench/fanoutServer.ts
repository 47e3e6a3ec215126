// The server side of bench/fanout.ts, in its own process so its CPU is measured alone.
//   argv[2]: 'raw' | 'channel' | 'redis'   argv[3]: a Redis URL (for 'redis')
// IPC: { cmd: 'publish', count, size, perTick } -> publishes, replies with its CPU time (ms) once
//      told { cmd: 'done' }; { cmd: 'subscribers' } -> how many streams are open.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { sse } from 'rx-sse';
import { createChannel, type SseChannel } from 'rx-sse/channel';
import { createRedisChannel } from 'rx-sse/redis';

const mode = process.argv[2] ?? 'raw';
const redisUrl = process.argv[3];

// The naive loop of issue 6's table: a Set of responses, one preformatted write per event per client.
const raw = new Set<ServerResponse>();
let channel: SseChannel | undefined;
let listener: Parameters<typeof createServer>[1];
let open = () => raw.size;
if (mode === 'raw') {
  listener = (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    raw.add(res);
    req.on('close', () => raw.delete(res));
  };
} else {
  if (mode === 'redis') {
    const client = createClient({ url: redisUrl ?? '' });
    client.on('error', () => undefined);
    await client.connect();
    channel = await createRedisChannel(client, 'bench', { maxEvents: 100_000 });
  } else {
    channel = createChannel({ maxEvents: 100_000 });
  }
  const source = channel;
  const streams = sse((ctx) => source.stream(ctx), {
    heartbeat: false,
    maxBufferedBytes: 64 << 20,
  });
  open = () => streams.stats.open;
  listener = streams;
}
const server = createServer(listener);
server.listen(0, '127.0.0.1', () => {
  process.send?.({ cmd: 'ready', value: (server.address() as AddressInfo).port });
});

let cpuAtStart = process.cpuUsage();
process.on('message', (message: { cmd: string; count: number; size: number; perTick: number }) => {
  const reply = (value: unknown) => process.send?.({ cmd: message.cmd, value });
  if (message.cmd === 'subscribers') {
    reply(open());
  } else if (message.cmd === 'done') {
    const { user, system } = process.cpuUsage(cpuAtStart);
    reply((user + system) / 1000);
  } else if (message.cmd === 'publish') {
    cpuAtStart = process.cpuUsage();
    const payload = 'x'.repeat(message.size);
    let i = 0;
    const tick = (): void => {
      for (let n = 0; n < message.perTick && i < message.count; n++, i++) {
        if (channel === undefined) {
          const frame = `id: ${String(i)}\ndata: ${payload}\n\n`;
          for (const res of raw) res.write(frame);
        } else {
          void channel.send(payload);
        }
      }
      if (i < message.count) setImmediate(tick);
      else reply(i);
    };
    tick();
  }
});
