// The server side of bench/soak.ts, in its own process: one listener broadcasting a small event
// to every client, reporting its memory, event-loop delay and stats over IPC when asked.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { interval, map, share } from 'rxjs';
import { sse } from 'rx-sse';

const { every, maxBufferedBytes, size } = JSON.parse(process.argv[2] ?? '{}') as {
  every: number;
  maxBufferedBytes: number;
  size: number;
};
const payload = 'x'.repeat(size);
const ticks = interval(every).pipe(
  map((i) => ({ event: 'tick', id: i, data: payload })),
  share(),
);
const listener = sse(() => ticks, { heartbeat: 5000, maxBufferedBytes });
const server = createServer(listener);
server.maxConnections = 20_000;
const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'report') {
    const { rss, heapUsed, external } = process.memoryUsage();
    process.send?.({
      cmd: 'report',
      value: {
        rss,
        heapUsed,
        external,
        p50: delay.percentile(50) / 1e6,
        p99: delay.percentile(99) / 1e6,
        max: delay.max / 1e6,
        stats: listener.stats,
      },
    });
    delay.reset();
  } else if (message.cmd === 'stop') {
    void listener.close().then(() => server.close(() => process.exit(0)));
  }
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ cmd: 'ready', value: (server.address() as AddressInfo).port });
});
