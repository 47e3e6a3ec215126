// Fan-out: one server process broadcasts `count` events of `size` bytes to `clients` raw TCP
// clients in this process, `perTick` events per event-loop turn. Each mode runs in a fresh
// server process, alternated over `rounds`; the median of each is reported beside the naive
// node:http loop (a Set of responses, one write per event per client) run in the same session.
//
//   npm run bench:fanout [-- clients=1000 count=2000 size=100 perTick=10 rounds=3]
//
// Events/s is what every client received together, from the first publish to the last frame.
import { fork } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { startRedis } from '../spec/support/redis.js';

const args = Object.fromEntries(
  process.argv.slice(2).map((arg) => arg.split('=') as [string, string]),
);
const clients = Number(args['clients'] ?? 1000);
const count = Number(args['count'] ?? 2000);
const size = Number(args['size'] ?? 100);
const perTick = Number(args['perTick'] ?? 10);
const rounds = Number(args['rounds'] ?? 3);
const modes = (args['modes'] ?? 'raw,channel,redis').split(',');

interface Result {
  eventsPerSecond: number;
  serverCpuMs: number;
}

async function run(mode: string, redisUrl: string): Promise<Result> {
  const child = fork(
    fileURLToPath(new URL('./fanoutServer.ts', import.meta.url)),
    [mode, redisUrl],
    {
      execArgv: ['--import', 'tsx', '--conditions=rx-sse-source'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const replies = new Map<string, (value: unknown) => void>();
  child.on('message', (message: { cmd: string; value: unknown }) => {
    replies.get(message.cmd)?.(message.value);
  });
  const ask = (cmd: string, extra: object = {}) =>
    new Promise<unknown>((resolve) => {
      replies.set(cmd, resolve);
      if (cmd !== 'ready') child.send({ cmd, ...extra });
    });
  const port = (await ask('ready')) as number;
  const sockets: Socket[] = [];
  const frames: number[] = new Array<number>(clients).fill(0);
  let complete = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  for (let c = 0; c < clients; c++) {
    const socket = connect(port, '127.0.0.1');
    let previous = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      // Frames end with a blank line; one may straddle two chunks.
      const text = previous + chunk;
      let at = text.indexOf('\n\n', previous.length === 0 ? 0 : previous.length - 1);
      let found = 0;
      while (at !== -1) {
        found++;
        at = text.indexOf('\n\n', at + 2);
      }
      previous = chunk.slice(-1);
      const before = frames[c] as number;
      frames[c] = before + found;
      if (before < count && before + found >= count && ++complete === clients) finished();
    });
    socket.on('error', () => undefined);
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    sockets.push(socket);
  }
  while (((await ask('subscribers')) as number) < clients) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The head's blank line counted as a frame: start from zero.
  frames.fill(0);
  const started = process.hrtime.bigint();
  await ask('publish', { count, size, perTick });
  await allDone;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverCpuMs = (await ask('done')) as number;
  for (const socket of sockets) socket.destroy();
  child.kill();
  return { eventsPerSecond: (clients * count) / seconds, serverCpuMs };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[values.length >> 1] as number;

const redis = modes.includes('redis') ? await startRedis() : undefined;
try {
  const results = new Map<string, Result[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) results.get(mode)?.push(await run(mode, redis?.url ?? ''));
  }
  console.log(
    `fan-out: ${String(clients)} clients × ${String(count)} events of ${String(size)} B, ${String(perTick)} per turn; medians of ${String(rounds)} alternated rounds`,
  );
  const baseline = median((results.get('raw') ?? []).map((r) => r.eventsPerSecond));
  for (const [mode, runs] of results) {
    const rate = median(runs.map((r) => r.eventsPerSecond));
    const cpu = median(runs.map((r) => r.serverCpuMs));
    const ratio = Number.isFinite(baseline) ? ` (${(rate / baseline).toFixed(2)}× raw)` : '';
    console.log(
      `  ${mode.padEnd(8)} ${Math.round(rate).toLocaleString('en')} events/s${ratio}, server CPU ${Math.round(cpu).toLocaleString('en')} ms`,
    );
  }
} finally {
  await redis?.stop();
}
