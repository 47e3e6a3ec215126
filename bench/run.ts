// rx-sse against a raw node:http loop and better-sse: fan-out, idle memory, latency, Redis and the
// encoder. Each server runs in its own process (bench/server.ts); the load client (bench/load.ts)
// runs here and checks that every connection got every event in order — a loss or a gap fails the
// run. Modes alternate (A/B/A/B...) and each figure is a median with its min–max, beside the
// naive loop measured in the same run. See the README's "Benchmarks" for what the figures mean.
//
//   npm run bench                       the defaults: a few minutes
//   npm run bench -- smoke              seconds: proves it works (CI runs this)
//   npm run bench -- clients=1000 count=2000 size=100 perTick=10 rounds=3 idle=10000
//                    latencyClients=200 latencyRounds=5 rate=100 seconds=10 chart=10,100,1000,5000
//                    scenarios=fanout,chart,idle,latency,redis,encode  out=bench/results
//                    modes=naive,joined,sse,channel,better-sse   (the fan-out's servers; also
//                      fetch, fetch-channel: sse and channel served by listener.fetch behind
//                      @hono/node-server)
//                    idleModes=naive,sse,fetch,channel,better-sse   (the idle scenario's servers;
//                      also fetch-channel, and fetch-naive: the adaptor alone, no rx-sse)
//                    profile=<dir>   (a CPU profile of each server process, for DevTools)
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { encode, type SseEvent } from 'rx-sse';
import { startRedis, type TestRedis } from '../spec/support/redis.js';
import { openLoad } from './load.js';

const argv = process.argv.slice(2);
const smoke = argv.includes('smoke');
const args = Object.fromEntries(
  argv.filter((arg) => arg.includes('=')).map((arg) => arg.split('=') as [string, string]),
);
const num = (name: string, normal: number, tiny: number): number =>
  Number(args[name] ?? (smoke ? tiny : normal));
const settings = {
  clients: num('clients', 1000, 20),
  count: num('count', 2000, 50),
  size: num('size', 100, 100),
  perTick: num('perTick', 10, 10),
  rounds: num('rounds', 3, 1),
  idle: num('idle', 10_000, 50),
  latencyClients: num('latencyClients', 200, 10),
  // The tail is the noisiest figure on a shared machine: more runs for its median.
  latencyRounds: num('latencyRounds', 5, 1),
  rate: num('rate', 100, 100),
  seconds: num('seconds', 10, 1),
};
const chartClients = (args['chart'] ?? (smoke ? '10,20' : '10,100,1000,5000'))
  .split(',')
  .map(Number);
const scenarios = new Set(
  (args['scenarios'] ?? 'fanout,chart,idle,latency,redis,encode').split(','),
);
const out = args['out'] ?? (smoke ? '' : fileURLToPath(new URL('./results', import.meta.url)));
const fanoutModes = (args['modes'] ?? 'naive,joined,sse,channel,better-sse').split(',');
const idleModes = (args['idleModes'] ?? 'naive,sse,fetch,channel,better-sse').split(',');

// ---------------------------------------------------------------------------------------------
// Server processes

interface Server {
  port: number;
  ask(cmd: string, extra?: object): Promise<unknown>;
  /** Lets the server exit (writing its profile, if asked) and resolves once it has. */
  stop(): Promise<void>;
}

async function startServer(mode: string, redisUrl = ''): Promise<Server> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./server.ts', import.meta.url)),
    [mode, redisUrl],
    {
      // rx-sse as users run it: dist/, compiled by tsc (`npm run bench` builds it first). Run
      // through tsx, the sources carry a name helper per closure (~256 B each): the smoke spec
      // passes --conditions=rx-sse-source to prove the benchmark works without a build.
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...process.execArgv.filter((arg) => arg.startsWith('--conditions')),
        // profile=<dir>: each server writes a CPU profile there (open it in Chrome's DevTools).
        ...(args['profile'] === undefined
          ? []
          : ['--cpu-prof', `--cpu-prof-dir=${args['profile']}`]),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const waiting = new Map<string, (value: unknown) => void>();
  child.on('message', (message: { cmd: string; value: unknown }) => {
    waiting.get(message.cmd)?.(message.value);
  });
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`bench server (${mode}) exited with ${code ?? 'a signal'}`));
    });
  });
  exited.catch(() => undefined);
  const ask = (cmd: string, extra: object = {}): Promise<unknown> =>
    Promise.race([
      new Promise<unknown>((resolve) => {
        waiting.set(cmd, resolve);
        if (cmd !== 'ready') child.send({ cmd, ...extra });
      }),
      exited,
    ]);
  const port = (await ask('ready')) as number;
  return {
    port,
    ask,
    // Disconnecting lets the server exit by itself (and write its profile); a kill if it hangs.
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill(), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.disconnect();
      }),
  };
}

async function waitForSubscribers(server: Server, n: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (((await server.ask('subscribers')) as number) < n) {
    if (Date.now() > deadline) throw new Error(`only some of ${n} clients connected`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---------------------------------------------------------------------------------------------
// Noise: CPU stolen by the hypervisor, and CPU used by other processes, during a scenario

function cpuTimes(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  return line.trim().split(/\s+/).slice(1).map(Number);
}

interface Noise {
  steal: number;
  busy: number;
  load: number;
}

function measureNoise(): () => Noise {
  if (!existsSync('/proc/stat'))
    return () => ({ steal: NaN, busy: NaN, load: loadavg()[0] ?? NaN });
  const before = cpuTimes();
  return () => {
    const after = cpuTimes();
    const delta = after.map((value, i) => value - (before[i] ?? 0));
    const total = delta.reduce((a, b) => a + b, 0) || 1;
    const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
    return {
      steal: (delta[7] ?? 0) / total,
      busy: (total - idle) / total,
      load: loadavg()[0] ?? NaN,
    };
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface FanoutRun {
  eventsPerSecond: number;
  cpuMs: number;
}

async function fanout(
  mode: string,
  clients: number,
  count: number,
  redisUrl = '',
): Promise<FanoutRun> {
  const server = await startServer(mode, redisUrl);
  const load = openLoad(server.port, clients, { count });
  try {
    await waitForSubscribers(server, clients);
    load.reset();
    const started = process.hrtime.bigint();
    await server.ask('publish', { count, size: settings.size, perTick: settings.perTick });
    await load.done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpuMs = (await server.ask('cpu')) as number;
    return { eventsPerSecond: (clients * count) / seconds, cpuMs };
  } finally {
    load.close();
    await server.stop();
  }
}

async function idleMemory(mode: string, clients: number): Promise<number> {
  const server = await startServer(mode);
  try {
    const before = (await server.ask('memory')) as number;
    const load = openLoad(server.port, clients, { count: 1 });
    try {
      await waitForSubscribers(server, clients);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const after = (await server.ask('memory')) as number;
      return (after - before) / clients;
    } finally {
      load.close();
    }
  } finally {
    await server.stop();
  }
}

async function latency(mode: string): Promise<{ p50: number; p99: number }> {
  const server = await startServer(mode);
  const count = settings.rate * settings.seconds;
  const load = openLoad(server.port, settings.latencyClients, { count, latency: true });
  try {
    await waitForSubscribers(server, settings.latencyClients);
    load.reset();
    await server.ask('publish', { count, size: settings.size, perTick: 1, rate: settings.rate });
    await load.done;
    const sorted = [...load.latencies].sort((a, b) => a - b);
    const at = (q: number): number =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { p50: at(0.5), p99: at(0.99) };
  } finally {
    load.close();
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
const k = (n: number): string => `${Math.round(n / 1000).toLocaleString('en')}k`;
const ratio = (n: number, base: number): string => `${(n / base).toFixed(2)}×`;
const range = (xs: number[], show: (n: number) => string): string =>
  xs.length > 1 ? `${show(Math.min(...xs))}–${show(Math.max(...xs))}` : '';

/** Runs `modes` alternated over `rounds`: A B C, A B C, ... */
async function alternate<T>(
  modes: string[],
  rounds: number,
  run: (mode: string) => Promise<T>,
): Promise<Map<string, T[]>> {
  const results = new Map<string, T[]>(modes.map((mode) => [mode, []]));
  for (let round = 0; round < rounds; round++) {
    for (const mode of modes) {
      results.get(mode)?.push(await run(mode));
      process.stdout.write('.');
    }
  }
  process.stdout.write('\n');
  return results;
}

const report: string[] = [];
const say = (line = ''): void => {
  report.push(line);
  console.log(line);
};

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
say(`# rx-sse benchmarks${smoke ? ' (smoke size)' : ''}`);
say();
say(
  `${machine}; rx-sse from ${process.execArgv.some((arg) => arg.startsWith('--conditions')) ? 'its sources (tsx)' : 'dist/'}; \`npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}\`. Medians of alternated runs, min–max beside them; ratios are to the naive loop of the same run.`,
);

let redis: TestRedis | undefined;
const chart = new Map<string, { clients: number; rate: number }[]>();
try {
  if (scenarios.has('fanout')) {
    const { clients, count, size, perTick, rounds } = settings;
    const noise = measureNoise();
    const results = await alternate(fanoutModes, rounds, (mode) => fanout(mode, clients, count));
    const seen = noise();
    const base = median((results.get('naive') ?? []).map((r) => r.eventsPerSecond));
    const baseCpu = median((results.get('naive') ?? []).map((r) => r.cpuMs));
    say();
    say(
      `## Fan-out: ${clients.toLocaleString('en')} clients × ${count.toLocaleString('en')} events of ${size} B, ${perTick} per turn`,
    );
    say();
    say('| server | delivered events/s | min–max | vs naive | server CPU (s) | CPU vs naive |');
    say('|---|---|---|---|---|---|');
    for (const [mode, runs] of results) {
      const rates = runs.map((r) => r.eventsPerSecond);
      const cpu = median(runs.map((r) => r.cpuMs));
      say(
        `| ${mode} | ${k(median(rates))} | ${range(rates, k)} | ${ratio(median(rates), base)} | ${(cpu / 1000).toFixed(2)} | ${ratio(cpu, baseCpu)} |`,
      );
    }
    say();
    say(
      `Noise: CPU steal ${(seen.steal * 100).toFixed(1)} %, machine busy ${(seen.busy * 100).toFixed(0)} % (this benchmark included), load ${seen.load.toFixed(2)}.`,
    );
  }

  if (scenarios.has('chart')) {
    const noise = measureNoise();
    for (const clients of chartClients) {
      const count = Math.max(100, Math.min(settings.count, Math.floor(2_000_000 / clients)));
      const results = await alternate(fanoutModes, 1, (mode) => fanout(mode, clients, count));
      for (const [mode, runs] of results) {
        const points = chart.get(mode) ?? [];
        points.push({ clients, rate: median(runs.map((r) => r.eventsPerSecond)) });
        chart.set(mode, points);
      }
    }
    const seen = noise();
    say();
    say('## Fan-out by number of clients (delivered events/s, one run each)');
    say();
    say(`| server | ${chartClients.map((c) => `${c.toLocaleString('en')} clients`).join(' | ')} |`);
    say(`|---|${chartClients.map(() => '---').join('|')}|`);
    for (const [mode, points] of chart)
      say(`| ${mode} | ${points.map((p) => k(p.rate)).join(' | ')} |`);
    say();
    say(
      `Events per client: 2,000,000 / clients, between 100 and ${settings.count}. Noise: steal ${(seen.steal * 100).toFixed(1)} %, busy ${(seen.busy * 100).toFixed(0)} %.`,
    );
  }

  if (scenarios.has('idle')) {
    const results = await alternate(idleModes, Math.min(settings.rounds, 2), (mode) =>
      idleMemory(mode, settings.idle),
    );
    const base = median(results.get('naive') ?? []);
    // The fetch door beside the node door that serves the same stream.
    const nodeDoor: Record<string, string> = { fetch: 'sse', 'fetch-channel': 'channel' };
    say();
    say(
      `## Idle: ${settings.idle.toLocaleString('en')} open streams, nothing sent (RSS per connection)`,
    );
    say();
    say('| server | RSS per connection | vs naive |');
    say('|---|---|---|');
    for (const [mode, runs] of results)
      say(`| ${mode} | ${(median(runs) / 1024).toFixed(1)} KB | ${ratio(median(runs), base)} |`);
    say();
    say('rx-sse runs with its defaults (a heartbeat every 15 s); the naive loop has none.');
    for (const [mode, node] of Object.entries(nodeDoor)) {
      const fetched = results.get(mode);
      const served = results.get(node);
      if (fetched === undefined || served === undefined) continue;
      say(
        `The fetch door (${mode}: listener.fetch behind @hono/node-server) holds ${ratio(median(fetched), median(served))} the node door's (${node}) memory per stream.`,
      );
    }
  }

  if (scenarios.has('latency')) {
    const modes = ['naive', 'sse', 'channel', 'better-sse'];
    const results = await alternate(modes, settings.latencyRounds, latency);
    const base = median((results.get('naive') ?? []).map((r) => r.p99));
    say();
    say(
      `## Latency: ${settings.latencyClients} clients × ${settings.rate} events/s for ${settings.seconds} s (send → receive)`,
    );
    say();
    say('| server | p50 (ms) | p99 (ms) | p99 min–max | p99 vs naive |');
    say('|---|---|---|---|---|');
    const ms = (n: number): string => n.toFixed(2);
    for (const [mode, runs] of results) {
      const p99 = runs.map((r) => r.p99);
      say(
        `| ${mode} | ${ms(median(runs.map((r) => r.p50)))} | ${ms(median(p99))} | ${range(p99, ms)} | ${ratio(median(p99), base)} |`,
      );
    }
  }

  if (scenarios.has('redis')) {
    redis = await startRedis().catch(() => undefined);
    say();
    if (redis === undefined) {
      say('## Redis channel: skipped (no redis-server here)');
    } else {
      const { clients, count, rounds } = settings;
      const url = redis.url;
      const results = await alternate(['channel', 'redis'], rounds, (mode) =>
        fanout(mode, clients, count, url),
      );
      const base = median((results.get('channel') ?? []).map((r) => r.eventsPerSecond));
      say(
        `## Redis channel against the in-memory channel (${clients.toLocaleString('en')} clients × ${count.toLocaleString('en')} events)`,
      );
      say();
      say('| channel | delivered events/s | min–max | vs in-memory |');
      say('|---|---|---|---|');
      for (const [mode, runs] of results) {
        const rates = runs.map((r) => r.eventsPerSecond);
        say(
          `| ${mode} | ${k(median(rates))} | ${range(rates, k)} | ${ratio(median(rates), base)} |`,
        );
      }
    }
  }

  if (scenarios.has('encode')) {
    const n = smoke ? 20_000 : 500_000;
    const text = 'x'.repeat(80);
    const inputs: SseEvent[] = Array.from({ length: 1000 }, (_, i) => ({
      event: 'update',
      id: i,
      data: { n: i, text },
    }));
    const contenders: Record<string, (event: SseEvent) => string> = {
      'JSON.stringify(data)': (event) => JSON.stringify(event.data),
      'encode(event)': (event) => encode(event),
      'encode({ data: string })': (event) => encode({ data: text + String(event.id) }),
    };
    const time = (run: (event: SseEvent) => string): number => {
      let bytes = 0;
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) bytes += run(inputs[i % inputs.length] as SseEvent).length;
      if (bytes === 0) throw new Error('nothing encoded');
      return n / (Number(process.hrtime.bigint() - start) / 1e9);
    };
    const results = await alternate(Object.keys(contenders), smoke ? 1 : 5, (name) =>
      Promise.resolve(time(contenders[name] as (event: SseEvent) => string)),
    );
    const base = median(results.get('JSON.stringify(data)') ?? []);
    const m = (x: number): string => `${(x / 1e6).toFixed(2)}M`;
    say();
    say('## Encoder: events/s in one process (an event `{ event, id, data: { n, text } }`)');
    say();
    say('| what | events/s | min–max | vs JSON.stringify of the data |');
    say('|---|---|---|---|');
    for (const [name, runs] of results)
      say(`| ${name} | ${m(median(runs))} | ${range(runs, m)} | ${ratio(median(runs), base)} |`);
  }
} finally {
  await redis?.stop();
}

if (out !== '') {
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/results.md`, `${report.join('\n')}\n`);
  if (chart.size > 0) writeFileSync(`${out}/fanout.svg`, svgChart(chart));
  console.log(`\nwritten: ${out}/results.md${chart.size > 0 ? `, ${out}/fanout.svg` : ''}`);
}

/** A line chart: delivered events/s against clients (log scale), one line per server. */
function svgChart(series: Map<string, { clients: number; rate: number }[]>): string {
  const width = 640;
  const height = 360;
  const pad = { left: 70, right: 130, top: 30, bottom: 45 };
  const xs = [...new Set([...series.values()].flat().map((p) => p.clients))].sort((a, b) => a - b);
  const top = Math.max(...[...series.values()].flat().map((p) => p.rate)) * 1.1;
  const x = (clients: number): number =>
    pad.left +
    ((Math.log10(clients) - Math.log10(xs[0] ?? 1)) /
      (Math.log10(xs.at(-1) ?? 10) - Math.log10(xs[0] ?? 1) || 1)) *
      (width - pad.left - pad.right);
  const y = (rate: number): number =>
    height - pad.bottom - (rate / top) * (height - pad.top - pad.bottom);
  const colours = ['#888888', '#2b8a3e', '#1c7ed6', '#7048e8', '#e8590c', '#c92a2a'];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${pad.left}" y="18" font-size="14">Fan-out: delivered events/s by number of clients</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const rate = (top / 4) * i;
    parts.push(
      `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(rate)}" y2="${y(rate)}" stroke="#eee"/>`,
    );
    parts.push(`<text x="${pad.left - 8}" y="${y(rate) + 4}" text-anchor="end">${k(rate)}</text>`);
  }
  for (const clients of xs) {
    parts.push(
      `<text x="${x(clients)}" y="${height - pad.bottom + 18}" text-anchor="middle">${clients.toLocaleString('en')}</text>`,
    );
  }
  parts.push(
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 8}" text-anchor="middle">clients</text>`,
  );
  [...series.entries()].forEach(([mode, points], i) => {
    const colour = colours[i % colours.length] ?? 'black';
    const path = points.map((p) => `${x(p.clients).toFixed(1)},${y(p.rate).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    for (const p of points)
      parts.push(
        `<circle cx="${x(p.clients).toFixed(1)}" cy="${y(p.rate).toFixed(1)}" r="3" fill="${colour}"/>`,
      );
    parts.push(
      `<text x="${width - pad.right + 10}" y="${pad.top + 18 * i + 10}" fill="${colour}">${mode}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
