// A bounded soak: CLIENTS connections to one rx-sse listener for DURATION seconds, with churn (a
// share of clients leave and come back every second) and stalled readers (a share that stop
// reading, are cut at maxBufferedBytes, and reconnect a second later, as EventSource would). The
// server runs in its own process; every REPORT seconds it prints its memory, event-loop delay
// and figures. Everything talks to 127.0.0.1 and stops by itself.
//
// Run: npm run bench:soak
//      CLIENTS=5000 DURATION=180 EVERY=100 PAYLOAD=1000 CHURN=0.02 STALLED=0.05 REPORT=15 npm run bench:soak
import { fork } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { SseStats } from 'rx-sse';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const clients = env('CLIENTS', 5000);
const duration = env('DURATION', 180) * 1000;
const every = env('EVERY', 100);
const churn = env('CHURN', 0.02);
const stalledShare = env('STALLED', 0.05);
const reportEvery = env('REPORT', 15) * 1000;
const maxBufferedBytes = env('MAX_BUFFERED', 64 * 1024);
const size = env('PAYLOAD', 1000);

interface Report {
  rss: number;
  heapUsed: number;
  external: number;
  p50: number;
  p99: number;
  max: number;
  stats: SseStats;
}

const child = fork(
  fileURLToPath(new URL('soakServer.ts', import.meta.url)),
  [JSON.stringify({ every, maxBufferedBytes, size })],
  {
    execArgv: ['--import', 'tsx', '--conditions=rx-sse-source'],
  },
);
const ask = <T>(cmd: string) =>
  new Promise<T>((resolve) => {
    const onMessage = (message: { cmd: string; value: T }) => {
      if (message.cmd !== cmd) return;
      child.off('message', onMessage);
      resolve(message.value);
    };
    child.on('message', onMessage);
    if (cmd !== 'ready') child.send({ cmd });
  });
const port = await ask<number>('ready');

let stopping = false;
let bytesRead = 0;
let reconnects = 0;
const sockets = new Set<Socket>();

function connect(stalled: boolean): void {
  if (stopping) return;
  const socket = createConnection({ port, host: '127.0.0.1' }, () => {
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
  sockets.add(socket);
  if (stalled) socket.once('data', () => socket.pause());
  else socket.on('data', (chunk: Buffer) => (bytesRead += chunk.length));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    sockets.delete(socket);
    // Cut (a stalled reader past the bound) or churned: come back a second later, reading.
    if (!stopping) {
      reconnects++;
      setTimeout(() => {
        connect(false);
      }, 1000);
    }
  });
}

for (let i = 0; i < clients; i++) {
  connect(i < clients * stalledShare);
  if (i % 500 === 499) await new Promise((resolve) => setTimeout(resolve, 50));
}

const churner = setInterval(() => {
  let n = Math.round(sockets.size * churn);
  for (const socket of sockets) {
    if (n-- <= 0) break;
    socket.destroy();
  }
  // Some of the returning clients stall again, so slow readers keep coming.
  for (let i = 0; i < Math.round(clients * churn * stalledShare); i++) connect(true);
}, 1000);

const mib = (n: number) => (n / 1024 / 1024).toFixed(1);
console.log(
  `soak: ${clients} clients, ${duration / 1000} s, an event every ${every} ms, churn ${churn * 100}%/s, stalled ${stalledShare * 100}%, maxBufferedBytes ${maxBufferedBytes}`,
);
console.log(
  '| t (s) | open | rss MiB | heap MiB | external MiB | loop delay p50/p99/max ms | events written | closed slow | client MiB read | reconnects |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const started = Date.now();
const reporter = setInterval(() => {
  void ask<Report>('report').then((r) => {
    console.log(
      `| ${Math.round((Date.now() - started) / 1000)} | ${r.stats.open} | ${mib(r.rss)} | ${mib(r.heapUsed)} | ${mib(r.external)} | ${r.p50.toFixed(1)}/${r.p99.toFixed(1)}/${r.max.toFixed(1)} | ${r.stats.events} | ${r.stats.closedSlow} | ${mib(bytesRead)} | ${reconnects} |`,
    );
  });
}, reportEvery);

setTimeout(() => {
  stopping = true;
  clearInterval(churner);
  clearInterval(reporter);
  for (const socket of sockets) socket.destroy();
  child.send({ cmd: 'stop' });
  child.once('exit', () => process.exit(0));
}, duration);
