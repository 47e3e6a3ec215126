// rx-sse against its peers — better-sse, NestJS's @Sse(), Hono's streamSSE — and a raw node:http
// loop: fan-out, idle memory, latency, Redis and the encoder. Each server runs in its own process
// (bench/server.ts); the load client (bench/load.ts) runs here and checks that every connection got
// every event in order — a loss, a duplicate or a gap fails the run. Modes alternate (A/B/A/B...)
// and each figure is a median with its min–max, beside the naive loop measured in the same run.
// docs/performance.md says what the figures mean.
//
//   npm run bench                       the defaults: about 15 minutes on 2 cores; writes
//                                       bench/results/results.md and docs/bench-peers.svg
//   npm run bench -- smoke              seconds: proves it works (CI runs this)
//   npm run bench -- clients=1000 count=500 size=100 perTick=10 rounds=3
//                    ceilingCount=2000 ceilingRounds=5   (the ceiling: rx-sse against the joined loop)
//                    idle=19000 heartbeat=5000 beats=2   (idle streams; their heartbeat, ms; periods
//                      watched)
//                    latencyClients=200 latencyRounds=5 rate=100 seconds=5 warmup=1
//                    chart=10,100,1000,5000 chartEvents=200000 chartRounds=1
//                    scenarios=fanout,ceiling,chart,idle,latency,redis,encode
//                    out=bench/results  svg=docs/bench-peers.svg   (out= or svg= empty: not written)
//                    modes=naive,sse,channel,better-sse,nest,hono   (the fan-out's servers; also
//                      joined, unchunked, and fetch, fetch-channel: sse and channel served by
//                      listener.fetch behind @hono/node-server)
//                    ceilingModes=joined,unchunked,sse,channel
//                    chartModes=naive,sse,channel,better-sse,nest,hono   (the chart's servers)
//                    idleModes=naive,sse,channel,better-sse,nest,hono   (also fetch, fetch-channel,
//                      and fetch-naive: the adaptor alone, no rx-sse)
//                    latencyModes=naive,sse,channel,better-sse,nest,hono
//                    profile=<dir>   (a CPU profile of each server process, for DevTools)
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { encode, type SseEvent } from 'rx-sse';
import { startRedis, type TestRedis } from '../spec/support/redis.js';
import { startChild } from './child.js';
import { openLoad, type Load } from './load.js';
import {
  benchArgs,
  createReport,
  measureNoise,
  noiseLine,
  revision,
  type Noise,
} from './report.js';

const { argv, smoke, args, num } = benchArgs();
const settings = {
  clients: num('clients', 1000, 20),
  // 500 events × 1,000 clients: half a million deliveries, ~30 s for the slowest peer here.
  count: num('count', 500, 50),
  size: num('size', 100, 100),
  perTick: num('perTick', 10, 10),
  // The ceiling scenario: the fan-out of issue 16's targets, rx-sse against the joined loop.
  ceilingCount: num('ceilingCount', 2000, 50),
  ceilingRounds: num('ceilingRounds', 5, 1),
  rounds: num('rounds', 3, 1),
  // The most one process here may hold: 20,000 open files, less the process's own.
  idle: num('idle', 19_000, 50),
  // rx-sse's heartbeat period in the idle scenario (ms), and how many periods it is watched for.
  heartbeat: num('heartbeat', 5000, 400),
  beats: num('beats', 2, 3),
  // Below what the slowest peer sustains here (5,000 deliveries/s), so that the figures are of
  // latency, not of a backlog.
  latencyClients: num('latencyClients', 200, 10),
  // The tail is the noisiest figure on a shared machine: more runs for its median.
  latencyRounds: num('latencyRounds', 5, 1),
  rate: num('rate', 100, 100),
  seconds: num('seconds', 5, 1),
  // Seconds of events at the same rate before the measured ones (not counted).
  warmup: num('warmup', 1, 0.2),
  // Deliveries (clients × events) per point of the chart: the events per client follow from it.
  chartEvents: num('chartEvents', 200_000, 1000),
  chartRounds: num('chartRounds', 1, 1),
};
const chartClients = (args['chart'] ?? (smoke ? '20' : '10,100,1000,5000')).split(',').map(Number);
const scenarios = new Set(
  (args['scenarios'] ?? 'fanout,ceiling,chart,idle,latency,redis,encode').split(','),
);
const out = args['out'] ?? (smoke ? '' : fileURLToPath(new URL('./results', import.meta.url)));
const svgOut =
  args['svg'] ?? (smoke ? '' : fileURLToPath(new URL('../docs/bench-peers.svg', import.meta.url)));
const peers = 'naive,sse,channel,better-sse,nest,hono';
// The smoke size runs every server in the fan-out (the cheapest scenario), and the other
// scenarios on two, which proves their own code without starting every server four times.
const modes = (name: string, normal: string, tiny: string): string[] =>
  (args[name] ?? (smoke ? tiny : normal)).split(',');
const everyMode = 'naive,joined,unchunked,sse,channel,better-sse,nest,hono';
const fanoutModes = modes('modes', peers, everyMode);
const ceilingModes = modes('ceilingModes', 'joined,unchunked,sse,channel', 'joined,sse');
const chartModes = modes('chartModes', peers, 'naive,hono');
const idleModes = modes('idleModes', peers, 'naive,sse');
const latencyModes = modes('latencyModes', peers, 'naive,sse');

/** What the chart and the summary call each server. */
const labels: Record<string, string> = {
  naive: 'node:http loop',
  joined: 'node:http loop, joined',
  unchunked: 'node:http loop, joined, unchunked',
  sse: 'rx-sse sse()',
  channel: 'rx-sse channel',
  'better-sse': 'better-sse',
  nest: 'NestJS @Sse()',
  hono: 'Hono streamSSE',
};
const label = (mode: string): string => labels[mode] ?? mode;

/** The installed version of a dev dependency, for the report's header. */
function version(name: string): string {
  const file = fileURLToPath(new URL(`../node_modules/${name}/package.json`, import.meta.url));
  return existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
    : '?';
}

// ---------------------------------------------------------------------------------------------
// Server processes

interface Server {
  port: number;
  ask(cmd: string, extra?: object): Promise<unknown>;
  /** Lets the server exit (writing its profile, if asked) and resolves once it has. */
  stop(): Promise<void>;
}

async function startServer(mode: string, redisUrl = '', heartbeat = ''): Promise<Server> {
  const child = await startChild(
    './server.ts',
    [mode, redisUrl, heartbeat],
    `bench server (${mode})`,
    args['profile'],
  );
  // Stopping disconnects it, so it exits by itself (and writes its profile); a kill if it hangs.
  return { port: child.ready as number, ask: child.ask, stop: child.stop };
}

let sources = 0;
/**
 * The loopback address the next batch of connections comes from: 127.0.0.2 to 127.0.0.251 in
 * turn. A round of 19,000 idle streams leaves 19,000 ports in TIME_WAIT for a minute, and one
 * address has 28,232 (32768–60999): the next rounds come from other addresses.
 */
function nextSource(): string {
  return `127.0.0.${2 + (sources++ % 250)}`;
}

/** Waits until the server counts `n` open streams; a connection that failed fails the wait. */
async function waitForSubscribers(server: Server, load: Load, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  let failed: Error | undefined;
  load.done.catch((error: unknown) => {
    failed = error instanceof Error ? error : new Error(String(error));
  });
  while (((await server.ask('subscribers')) as number) < n) {
    if (failed !== undefined) throw failed;
    if (Date.now() > deadline) throw new Error(`only some of ${n} clients connected`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

interface FanoutRun {
  eventsPerSecond: number;
  cpuMs: number;
  /** Server CPU per delivered event (one event to one client), µs. */
  cpuPerEvent: number;
  /** Bytes read per delivered event, chunked framing included. */
  bytesPerEvent: number;
  /**
   * The load client's CPU (this process: its reads and parsing) as a share of the run's wall
   * time, 0–1 per core: near 1, the client, not the server, sets the pace of events/s.
   */
  clientBusy: number;
}

async function fanout(
  mode: string,
  clients: number,
  count: number,
  redisUrl = '',
): Promise<FanoutRun> {
  const server = await startServer(mode, redisUrl);
  const load = openLoad(server.port, clients, { count, localAddress: nextSource() });
  try {
    await waitForSubscribers(server, load, clients);
    load.reset();
    const started = process.hrtime.bigint();
    const clientCpu = process.cpuUsage();
    await server.ask('publish', { count, size: settings.size, perTick: settings.perTick });
    await load.done;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const { user, system } = process.cpuUsage(clientCpu);
    const cpuMs = (await server.ask('cpu')) as number;
    // Anything after the last event (a duplicate of it, one more) fails the run too.
    load.check();
    const delivered = clients * count;
    return {
      eventsPerSecond: delivered / seconds,
      cpuMs,
      cpuPerEvent: (cpuMs * 1000) / delivered,
      bytesPerEvent: load.bytes / delivered,
      clientBusy: (user + system) / 1e6 / seconds,
    };
  } finally {
    load.close();
    await server.stop();
  }
}

/** The modes that take a heartbeat period: rx-sse's, and the loops (one timer writing to all). */
const beatingModes = new Set([
  'naive',
  'joined',
  'unchunked',
  'sse',
  'channel',
  'fetch',
  'fetch-channel',
  'redis',
]);

interface Idle {
  /** RSS per open stream, bytes. */
  memory: number;
  /** Seconds from the first connection to the last one counted open. */
  accepted: number;
  /** The modes with a heartbeat: the streams' longest silences while watched, ms, and its CPU. */
  heartbeat?: { longest: number; p99: number; cpuPerBeat: number };
}

async function idle(mode: string, clients: number): Promise<Idle> {
  const beating = beatingModes.has(mode) && settings.beats > 0;
  const server = await startServer(mode, '', beating ? String(settings.heartbeat) : '');
  const loads: Load[] = [];
  try {
    const before = (await server.ask('memory')) as number;
    const started = performance.now();
    // A thousand at a time, each counted open by the server before the next: a burst of 10,000
    // overflows a slower server's accept queue, the kernel answers with SYN cookies, and some of
    // those connections are reset.
    for (let opened = 0; opened < clients;) {
      const step = Math.min(1000, clients - opened);
      const load = openLoad(server.port, step, {
        count: 1,
        silence: beating,
        localAddress: nextSource(),
      });
      loads.push(load);
      opened += step;
      await waitForSubscribers(server, load, opened);
    }
    const accepted = (performance.now() - started) / 1000;
    // Every mode idles as long, `beats` periods (a second without), before its memory is read:
    // the heartbeats' writes leave memory behind (the allocator keeps what they used), so the
    // loop's and rx-sse's are read after as many of them.
    for (const load of loads) load.reset();
    const cpuBefore = (await server.ask('cpu')) as number;
    const watched = settings.beats * settings.heartbeat || 1000;
    await new Promise((resolve) => setTimeout(resolve, watched));
    const cpu = ((await server.ask('cpu')) as number) - cpuBefore;
    const silences = loads.flatMap((load) => [...load.silences()]).sort((a, b) => a - b);
    const memory = (((await server.ask('memory')) as number) - before) / clients;
    if (!beating) return { memory, accepted };
    const period = settings.heartbeat;
    return {
      memory,
      accepted,
      heartbeat: {
        longest: silences.at(-1) ?? NaN,
        p99: silences[Math.floor(silences.length * 0.99)] ?? NaN,
        cpuPerBeat: (cpu * 1000) / ((clients * watched) / period),
      },
    };
  } finally {
    for (const load of loads) load.close();
    await server.stop();
  }
}

async function latency(mode: string): Promise<{ p50: number; p99: number }> {
  const server = await startServer(mode);
  const count = settings.rate * settings.seconds;
  const load = openLoad(server.port, settings.latencyClients, {
    count,
    latency: true,
    localAddress: nextSource(),
  });
  try {
    await waitForSubscribers(server, load, settings.latencyClients);
    const paced = async (events: number): Promise<void> => {
      load.reset(events);
      await server.ask('publish', {
        count: events,
        size: settings.size,
        perTick: 1,
        rate: settings.rate,
      });
      await load.done;
    };
    // A warm-up at the same rate first, not counted: a fresh process compiles its code as the
    // first events go (the first few dozen took up to 20 ms here, for every server), and those
    // would be the whole of the tail.
    if (settings.warmup > 0) await paced(Math.ceil(settings.rate * settings.warmup));
    await paced(count);
    await server.ask('cpu');
    load.check();
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

/** The middle value; of an even count, the mean of the two middle ones. */
function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const half = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[half] ?? NaN;
  return ((sorted[half - 1] ?? NaN) + (sorted[half] ?? NaN)) / 2;
}
const k = (n: number): string => `${Math.round(n / 1000).toLocaleString('en')}k`;
/** `n` as a multiple of `base`, or `–` when the run had no base (its mode was not run). */
const ratio = (n: number, base: number): string =>
  Number.isNaN(base) ? '–' : `${(n / base).toFixed(2)}×`;
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

/** The idle table's heartbeat cells: longest silence, its lateness, p99 silence, CPU per beat. */
function heartbeatCells(beats: NonNullable<Idle['heartbeat']>[], period: number): string {
  if (beats.length === 0) return '– | – | – | –';
  const longest = Math.max(...beats.map((beat) => beat.longest));
  const p99 = median(beats.map((beat) => beat.p99));
  const cpu = median(beats.map((beat) => beat.cpuPerBeat));
  return `${(longest / 1000).toFixed(3)} s | ${(longest - period).toFixed(0)} ms | ${(p99 / 1000).toFixed(3)} s | ${cpu.toFixed(1)}`;
}

const { say, save } = createReport(out === '' ? '' : `${out}/results.md`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
say(`# rx-sse benchmarks${smoke ? ' (smoke size)' : ''}`);
say();
say(
  `${new Date().toISOString().slice(0, 10)}, ${machine}, load ${(loadavg()[0] ?? NaN).toFixed(2)} at the start; rx-sse from ${process.execArgv.some((arg) => arg.startsWith('--conditions')) ? 'its sources (tsx)' : 'dist/'} (${revision()}); \`npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}\`. Peers: better-sse ${version('better-sse')}, NestJS ${version('@nestjs/core')} (@nestjs/platform-express, express ${version('express')}), Hono ${version('hono')} on @hono/node-server ${version('@hono/node-server')}. Medians of alternated runs, min–max beside them; ratios are to the naive loop of the same run.`,
);

/** Per mode, what the summary at the end shows. */
const summary = new Map<
  string,
  { rate?: number; cpu?: number; idle?: number; p50?: number; p99?: number }
>();
const note = (mode: string, figures: object): void => {
  summary.set(mode, { ...summary.get(mode), ...figures });
};

/** A fan-out's table: each mode's medians, against the naive and the joined loop of the run. */
function fanoutTable(
  title: string,
  results: Map<string, FanoutRun[]>,
  clients: number,
  count: number,
  seen: Noise,
): void {
  const { size, perTick } = settings;
  const base = median((results.get('naive') ?? []).map((r) => r.eventsPerSecond));
  const baseCpu = median((results.get('naive') ?? []).map((r) => r.cpuPerEvent));
  // The ceiling the targets are set against: the loop that writes each turn once per client.
  const joinedCpu = median((results.get('joined') ?? []).map((r) => r.cpuPerEvent));
  const rounds = [...results.values()][0]?.length ?? 0;
  say();
  say(
    `## ${title}: ${clients.toLocaleString('en')} clients × ${count.toLocaleString('en')} events of ${size} B, ${perTick} per turn (medians of ${rounds})`,
  );
  say();
  say(
    '| server | delivered events/s | min–max | vs naive | server CPU per event (µs) | min–max | CPU vs naive | CPU vs joined | load client busy | bytes per event |',
  );
  say('|---|---|---|---|---|---|---|---|---|---|');
  const us = (n: number): string => n.toFixed(2);
  for (const [mode, runs] of results) {
    const rates = runs.map((r) => r.eventsPerSecond);
    const cpu = runs.map((r) => r.cpuPerEvent);
    if (title === 'Fan-out') note(mode, { rate: median(rates), cpu: median(cpu) });
    say(
      `| ${mode} | ${k(median(rates))} | ${range(rates, k)} | ${ratio(median(rates), base)} | ${us(median(cpu))} | ${range(cpu, us)} | ${ratio(median(cpu), baseCpu)} | ${ratio(median(cpu), joinedCpu)} | ${(median(runs.map((r) => r.clientBusy)) * 100).toFixed(0)} % | ${median(runs.map((r) => r.bytesPerEvent)).toFixed(1)} |`,
    );
  }
  say();
  say(
    'An event is one event delivered to one client. Bytes per event: what the client read, chunked framing included (a write of several events is one chunk). Load client busy: the CPU of the process reading every connection, as a share of one core over the run; near 100 % the client sets the pace of events/s, and server CPU per event is the figure that compares servers.',
  );
  say(noiseLine(seen));
}

let redis: TestRedis | undefined;
const chart = new Map<string, { clients: number; rate: number; cpu: number }[]>();
try {
  if (scenarios.has('fanout')) {
    const { clients, count, rounds } = settings;
    const noise = measureNoise();
    const results = await alternate(fanoutModes, rounds, (mode) => fanout(mode, clients, count));
    fanoutTable('Fan-out', results, clients, count, noise());
  }

  save();
  if (scenarios.has('ceiling')) {
    const { clients, ceilingCount: count, ceilingRounds: rounds } = settings;
    const noise = measureNoise();
    const results = await alternate(ceilingModes, rounds, (mode) => fanout(mode, clients, count));
    fanoutTable('The ceiling', results, clients, count, noise());
  }

  save();
  if (scenarios.has('chart')) {
    const noise = measureNoise();
    for (const clients of chartClients) {
      // At least 50 events each; at most 20,000, so that 10 clients are measured warm (JIT
      // compiled) too, over as many deliveries as 5,000 clients are.
      const count = Math.max(
        Math.min(50, settings.count),
        Math.min(20_000, Math.floor(settings.chartEvents / clients)),
      );
      const results = await alternate(chartModes, settings.chartRounds, (mode) =>
        fanout(mode, clients, count),
      );
      for (const [mode, runs] of results) {
        const points = chart.get(mode) ?? [];
        points.push({
          clients,
          rate: median(runs.map((r) => r.eventsPerSecond)),
          cpu: median(runs.map((r) => r.cpuPerEvent)),
        });
        chart.set(mode, points);
      }
    }
    const seen = noise();
    const columns = chartClients.map((c) => `${c.toLocaleString('en')} clients`).join(' | ');
    const rule = `|---|${chartClients.map(() => '---').join('|')}|`;
    const rounds =
      settings.chartRounds === 1 ? 'one run each' : `medians of ${settings.chartRounds}`;
    say();
    say(`## Fan-out by number of clients: server CPU per delivered event, µs (${rounds})`);
    say();
    say(`| server | ${columns} |`);
    say(rule);
    for (const [mode, points] of chart)
      say(`| ${mode} | ${points.map((p) => p.cpu.toFixed(2)).join(' | ')} |`);
    say();
    say(`## Fan-out by number of clients: delivered events/s (${rounds})`);
    say();
    say(`| server | ${columns} |`);
    say(rule);
    for (const [mode, points] of chart)
      say(`| ${mode} | ${points.map((p) => k(p.rate)).join(' | ')} |`);
    say();
    say(
      `Events per client: ${settings.chartEvents.toLocaleString('en')} / clients, between ${Math.min(50, settings.count)} and 20,000. ${noiseLine(seen)}`,
    );
    if (svgOut !== '') {
      writeFileSync(svgOut, svgChart(chart));
      console.log(`written: ${svgOut}`);
    }
  }

  save();
  if (scenarios.has('idle')) {
    const noise = measureNoise();
    const results = await alternate(idleModes, Math.min(settings.rounds, 2), (mode) =>
      idle(mode, settings.idle),
    );
    const seen = noise();
    const memory = (mode: string): number =>
      median((results.get(mode) ?? []).map((run) => run.memory));
    const base = memory('naive');
    // The fetch door beside the node door that serves the same stream.
    const nodeDoor: Record<string, string> = { fetch: 'sse', 'fetch-channel': 'channel' };
    const period = settings.heartbeat;
    say();
    say(
      `## Idle: ${settings.idle.toLocaleString('en')} open streams, heartbeats only (RSS per connection)`,
    );
    say();
    say(
      `| server | RSS per connection | vs naive | all accepted in | longest silence (${period / 1000} s heartbeat) | its lateness | p99 silence | CPU per heartbeat (µs) |`,
    );
    say('|---|---|---|---|---|---|---|---|');
    for (const [mode, runs] of results) {
      note(mode, { idle: memory(mode) });
      const accepted = median(runs.map((run) => run.accepted));
      const beats = runs.flatMap((run) => (run.heartbeat === undefined ? [] : [run.heartbeat]));
      const beat = heartbeatCells(beats, period);
      say(
        `| ${mode} | ${(memory(mode) / 1024).toFixed(1)} KB | ${ratio(memory(mode), base)} | ${accepted.toFixed(1)} s (${k(settings.idle / accepted)}/s) | ${beat} |`,
      );
    }
    say();
    say(
      `Streams get a heartbeat every ${period / 1000} s (rx-sse's default is 15 s): rx-sse's from its sweep, the naive loop's from one timer writing a comment to all of them — the peers' own (better-sse every 10 s, NestJS and Hono none) are left as they are. Once all are open, every server idles ${settings.beats} periods, watched, before its memory is read: the longest silence is the longest any stream went without a byte (in any round), its lateness how far past the period that was; the CPU is the server's over the watch, per heartbeat due. Accepting: 1,000 connections at a time, each thousand counted open before the next.`,
    );
    for (const [mode, node] of Object.entries(nodeDoor)) {
      if (!results.has(mode) || !results.has(node)) continue;
      say(
        `The fetch door (${mode}: listener.fetch behind @hono/node-server) holds ${ratio(memory(mode), memory(node))} the node door's (${node}) memory per stream.`,
      );
    }
    say(noiseLine(seen));
  }

  save();
  if (scenarios.has('latency')) {
    const noise = measureNoise();
    const results = await alternate(latencyModes, settings.latencyRounds, latency);
    const seen = noise();
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
      note(mode, { p50: median(runs.map((r) => r.p50)), p99: median(p99) });
      say(
        `| ${mode} | ${ms(median(runs.map((r) => r.p50)))} | ${ms(median(p99))} | ${range(p99, ms)} | ${ratio(median(p99), base)} |`,
      );
    }
    say();
    say(noiseLine(seen));
  }

  save();
  if (scenarios.has('redis')) {
    redis = await startRedis().catch(() => undefined);
    say();
    if (redis === undefined) {
      say('## Redis channel: skipped (no redis-server here)');
    } else {
      const { clients, count, rounds } = settings;
      const url = redis.url;
      const noise = measureNoise();
      const results = await alternate(['channel', 'redis'], rounds, (mode) =>
        fanout(mode, clients, count, url),
      );
      const seen = noise();
      const base = median((results.get('channel') ?? []).map((r) => r.eventsPerSecond));
      say(
        `## Redis channel against the in-memory channel (${clients.toLocaleString('en')} clients × ${count.toLocaleString('en')} events)`,
      );
      say();
      say('| channel | delivered events/s | min–max | vs in-memory | server CPU per event (µs) |');
      say('|---|---|---|---|---|');
      for (const [mode, runs] of results) {
        const rates = runs.map((r) => r.eventsPerSecond);
        say(
          `| ${mode} | ${k(median(rates))} | ${range(rates, k)} | ${ratio(median(rates), base)} | ${median(runs.map((r) => r.cpuPerEvent)).toFixed(2)} |`,
        );
      }
      say();
      say(noiseLine(seen));
    }
  }

  save();
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

  save();
  if (summary.size > 0) {
    const cell = (n: number | undefined, show: (n: number) => string): string =>
      n === undefined ? '–' : show(n);
    say();
    say('## Summary');
    say();
    say(
      '| server | fan-out events/s | CPU per event (µs) | idle RSS per stream | latency p50 / p99 (ms) |',
    );
    say('|---|---|---|---|---|');
    for (const [mode, f] of summary)
      say(
        `| ${label(mode)} | ${cell(f.rate, k)} | ${cell(f.cpu, (n) => n.toFixed(2))} | ${cell(f.idle, (n) => `${(n / 1024).toFixed(1)} KB`)} | ${f.p50 === undefined ? '–' : `${f.p50.toFixed(2)} / ${cell(f.p99, (n) => n.toFixed(2))}`} |`,
      );
  }
} finally {
  await redis?.stop();
}

save();
if (out !== '') console.log(`\nwritten: ${out}/results.md`);

/**
 * A line chart: delivered events per second of server CPU (what one core serves) against the
 * number of clients, both on log scales, one line per server.
 */
function svgChart(series: Map<string, { clients: number; cpu: number }[]>): string {
  const width = 720;
  const height = 400;
  const pad = { left: 70, right: 190, top: 48, bottom: 48 };
  const all = [...series.values()].flat();
  const xs = [...new Set(all.map((p) => p.clients))].sort((a, b) => a - b);
  const perCpuSecond = (cpu: number): number => 1e6 / cpu;
  const rates = all.map((p) => perCpuSecond(p.cpu)).filter(Number.isFinite);
  const low = Math.floor(Math.log10(Math.min(...rates)));
  const high = Math.ceil(Math.log10(Math.max(...rates)));
  const x = (clients: number): number =>
    pad.left +
    ((Math.log10(clients) - Math.log10(xs[0] ?? 1)) /
      (Math.log10(xs.at(-1) ?? 10) - Math.log10(xs[0] ?? 1) || 1)) *
      (width - pad.left - pad.right);
  const y = (rate: number): number =>
    height -
    pad.bottom -
    ((Math.log10(rate) - low) / (high - low || 1)) * (height - pad.top - pad.bottom);
  const short = (n: number): string =>
    n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
  // rx-sse in strong colours, the loop in grey, the peers in lighter ones.
  const colours: Record<string, string> = {
    naive: '#868e96',
    joined: '#495057',
    sse: '#1c7ed6',
    channel: '#2b8a3e',
    'better-sse': '#e8590c',
    nest: '#c2255c',
    hono: '#7048e8',
  };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${pad.left}" y="20" font-size="15" font-weight="bold">SSE fan-out: events delivered per second of server CPU</text>`,
    `<text x="${pad.left}" y="37" fill="#555">one shared stream to N clients, 100 B events, 10 per turn; higher is better (log scales)</text>`,
  ];
  for (let power = low; power <= high; power++) {
    for (const step of [1, 2, 5]) {
      const rate = step * 10 ** power;
      if (Math.log10(rate) > high) continue;
      const at = y(rate).toFixed(1);
      parts.push(
        `<line x1="${pad.left}" x2="${width - pad.right}" y1="${at}" y2="${at}" stroke="${step === 1 ? '#ddd' : '#f1f1f1'}"/>`,
        `<text x="${pad.left - 8}" y="${(y(rate) + 4).toFixed(1)}" text-anchor="end" fill="#555">${short(rate)}</text>`,
      );
    }
  }
  for (const clients of xs) {
    parts.push(
      `<text x="${x(clients).toFixed(1)}" y="${height - pad.bottom + 18}" text-anchor="middle" fill="#555">${clients.toLocaleString('en')}</text>`,
    );
  }
  parts.push(
    `<text x="${(pad.left + width - pad.right) / 2}" y="${height - 10}" text-anchor="middle">clients</text>`,
  );
  // The legend in the order of the last point, top to bottom, as the lines end.
  const order = [...series.entries()].sort(
    ([, a], [, b]) => (a.at(-1)?.cpu ?? 0) - (b.at(-1)?.cpu ?? 0),
  );
  order.forEach(([mode, points], i) => {
    const colour = colours[mode] ?? 'black';
    const path = points
      .map((p) => `${x(p.clients).toFixed(1)},${y(perCpuSecond(p.cpu)).toFixed(1)}`)
      .join(' ');
    const dash = ['naive', 'joined', 'unchunked'].includes(mode) ? ' stroke-dasharray="6 4"' : '';
    const strong = mode === 'sse' || mode === 'channel';
    parts.push(
      `<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="${strong ? 3 : 2}"${dash}/>`,
    );
    for (const p of points)
      parts.push(
        `<circle cx="${x(p.clients).toFixed(1)}" cy="${y(perCpuSecond(p.cpu)).toFixed(1)}" r="3" fill="${colour}"/>`,
      );
    const legendY = pad.top + 20 * i + 10;
    parts.push(
      `<line x1="${width - pad.right + 14}" x2="${width - pad.right + 34}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${colour}" stroke-width="${strong ? 3 : 2}"${dash}/>`,
      `<text x="${width - pad.right + 40}" y="${legendY}" fill="${colour}"${strong ? ' font-weight="bold"' : ''}>${label(mode)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
