// rx-sse beyond one process, measured on this machine: several server processes fed by one Redis,
// the load spread over several client processes. Each server (bench/clusterServer.ts) is rx-sse's
// `sse()` on node:http with `createRedisChannel` or `createRedisResumableStreams`, run from dist/
// as users run it; each load process (bench/clusterLoad.ts) reads its connections' streams and
// checks that every connection gets every event, in order, exactly once — a loss, a duplicate or a
// reorder fails the run. redis-server is started here, on a free port (spec/support/redis.ts),
// with `appendfsync everysec` (Redis's default when the AOF is on). Everything talks to 127.0.x.x,
// and stops by itself.
//
//   npm run bench:cluster               the defaults: about 8 minutes on 2 cores; writes
//                                       bench/results/cluster.md
//   npm run bench:cluster -- smoke      seconds: proves it works (spec/benchCluster.spec.ts)
//   npm run bench:cluster -- scenarios=scale,readers,many,resumable out=bench/results (out= empty: not
//                                       written) timeout=1200 (s: the whole run, then it fails)
//                                       profile=<dir> (a CPU profile of each server and load process)
//
// scale: 2 and 4 server processes on ONE Redis channel (one XREAD reader each), the clients spread
//   evenly over them, a publisher (its own Redis connection and channel, in this process) sending
//   `rate` events/s of `size` B for `seconds` s, each event's data its number and when it was sent.
//   Per row: delivered events/s, p50/p99 latency (send → receive), Redis's CPU per published event
//   (the delta of used_cpu_sys + used_cpu_user in INFO cpu over the publishing window, divided by
//   the events published), server CPU per delivered event, RSS per stream (servers, after a full
//   GC), and Redis's connections from CLIENT LIST (which must not grow with the clients).
//     procs=2,4  clients=1000,5000,10000,20000  rate=10  seconds=10  size=100
//     perLoad=10000 (connections per load process at most)
// readers: what each process's reader costs Redis — the scale scenario's row for 1, 2, 4 and 8
//   server processes with the same clients, and a straight line through Redis's CPU per event
//   above its idle floor: per reader (the slope), and what is left (the publish itself).
//     readers=1,2,4,8  readerClients=1000
// many: `streams` concurrent streams over `servers` server processes fed by one Redis channel, from
//   `loads` load processes, each from its own loopback source address (127.0.0.2, 127.0.0.3, …, so
//   that each has the whole ephemeral port range). Time to open them all; RSS per stream (servers,
//   after a full GC); heartbeats on time (servers with `heartbeat: <heartbeat>` ms: each connection's
//   longest silence over `hold` s, and how far past the period it went); then `events` events at
//   `eventRate`/s that every connection must receive, in order, exactly once.
//     streams=100000  servers=7  loads=7  heartbeat=5000  hold=20  events=5  eventRate=0.25
// resumable: 100 to 1,000 concurrent resumable answers over 2 server processes sharing one Redis
//   (`createRedisResumableStreams`), each POSTed to one process and producing `tokens` tokens at
//   `tokenRate`/s; half of them are dropped after `switchAt` tokens and read on from the other
//   process with their Last-Event-ID. Tokens delivered/s, p50/p99 latency of live tokens, Redis's
//   CPU per token, Redis connections per process (one reader per process, not per answer), every
//   token delivered in order.
//     answers=100,300,1000 (a row each)  tokens=50  tokenRate=10  switchAt=10
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, freemem, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createClient, type RedisClientType } from 'redis';
import { createRedisChannel } from 'rx-sse/redis';
import { startRedis, type TestRedis } from '../spec/support/redis.js';
import { Histogram, quantile, type LoadReport } from './clusterStats.js';
import { children, startChild, stopChild, type Child } from './child.js';
import { benchArgs, createReport, measureNoise, noiseLine, revision } from './report.js';

const { argv, smoke, args, num } = benchArgs();
const list = (name: string, normal: string, tiny: string): number[] =>
  (args[name] ?? (smoke ? tiny : normal)).split(',').map(Number);
const settings = {
  procs: list('procs', '2,4', '2'),
  clients: list('clients', '1000,5000,10000,20000', '40'),
  /** Server processes per row of the readers scenario, and its clients (all rows). */
  readers: list('readers', '1,2,4,8', '1,3'),
  readerClients: num('readerClients', 1000, 30),
  /** Events published per second (scale). */
  rate: num('rate', 10, 20),
  /** Seconds of publishing per row (scale). */
  seconds: num('seconds', 10, 2),
  /** Bytes of each event's data. */
  size: num('size', 100, 100),
  perLoad: num('perLoad', 10_000, 10_000),
  streams: num('streams', 100_000, 300),
  servers: num('servers', 7, 3),
  loads: num('loads', 7, 3),
  /** The servers' heartbeat period (many), ms. */
  heartbeat: num('heartbeat', 5000, 400),
  /** Seconds the streams are held idle, heartbeats only (many). */
  hold: num('hold', 20, 2),
  events: num('events', 5, 5),
  eventRate: num('eventRate', 0.25, 10),
  answers: list('answers', '100,300,1000', '20'),
  tokens: num('tokens', 50, 20),
  tokenRate: num('tokenRate', 10, 20),
  switchAt: num('switchAt', 10, 3),
  /** The whole run may take this many seconds; then it fails. */
  timeout: num('timeout', 1200, 100),
};
const scenarios = new Set((args['scenarios'] ?? 'scale,readers,many,resumable').split(','));
const out = args['out'] ?? (smoke ? '' : fileURLToPath(new URL('./results', import.meta.url)));
const fromSource = process.execArgv.some((arg) => arg.startsWith('--conditions'));

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

interface Server extends Child {
  port: number;
}

async function startServers(
  n: number,
  mode: string,
  redisUrl: string,
  key: string,
  heartbeat = 15_000,
): Promise<Server[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `cluster-server-${i}`;
      const child = await startChild(
        './clusterServer.ts',
        [mode, redisUrl, key, name, String(heartbeat)],
        `server ${i}`,
        args['profile'],
      );
      return { ...child, port: child.ready as number };
    }),
  );
}

/** Waits until the servers count `n` open streams together, for at most `seconds`. */
async function waitOpen(servers: Server[], n: number, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const open = sum((await Promise.all(servers.map((server) => server.ask('open')))) as number[]);
    if (open === n) return;
    if (open > n)
      throw new Error(`the servers count ${open} open streams, more than the ${n} opened`);
    if (Date.now() > deadline)
      throw new Error(`only ${open} of ${n} streams opened in ${seconds} s`);
    await sleep(100);
  }
}

/** The servers' RSS after a full GC, together, in bytes. */
async function serverMemory(servers: Server[]): Promise<number> {
  return sum((await Promise.all(servers.map((server) => server.ask('memory')))) as number[]);
}

// ---------------------------------------------------------------------------------------------
// Redis: its CPU and its connections

/** Redis's CPU (used_cpu_sys + used_cpu_user in INFO cpu, all its threads), in s. */
async function redisCpu(info: RedisClientType): Promise<number> {
  const text = await info.info('cpu');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text)?.[1] ?? NaN);
  return field('used_cpu_sys') + field('used_cpu_user');
}

/** Redis's connections now, by the name each gave (CLIENT SETNAME), and what each is doing. */
async function redisClients(info: RedisClientType): Promise<{ name: string; cmd: string }[]> {
  const text = await info.sendCommand<string>(['CLIENT', 'LIST']);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => ({
      name: /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '',
      cmd: /(?:^| )cmd=(\S*)/.exec(line)?.[1] ?? '',
    }));
}

/** Connections per server process (the most any one holds), and the total. */
async function serverConnections(
  info: RedisClientType,
  seen?: { name: string; cmd: string }[],
): Promise<{ each: number; total: number }> {
  const clients = seen ?? (await redisClients(info));
  const perServer = new Map<string, number>();
  for (const { name } of clients) {
    if (name.startsWith('cluster-server-')) perServer.set(name, (perServer.get(name) ?? 0) + 1);
  }
  return { each: Math.max(0, ...perServer.values()), total: clients.length };
}

// ---------------------------------------------------------------------------------------------
// What this machine allows

/** The open-file limit of this process (its children inherit it), soft and hard. */
function openFileLimit(): { soft: number; hard: number } {
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(
    existsSync('/proc/self/limits') ? readFileSync('/proc/self/limits', 'utf8') : '',
  );
  const value = (text: string | undefined): number =>
    text === undefined || text === 'unlimited' ? Infinity : Number(text);
  return { soft: value(line?.[1]), hard: value(line?.[2]) };
}

/** The ephemeral port range, [low, high]: the source ports each load process binds in turn. */
function portRange(): [number, number] {
  const file = '/proc/sys/net/ipv4/ip_local_port_range';
  if (!existsSync(file)) return [32_768, 60_999]; // Linux's default
  const [low = 0, high = 0] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
  return [low, high];
}

/** How many ephemeral ports one source address has. */
function ephemeralPorts(): number {
  const [low, high] = portRange();
  return high - low + 1;
}

/** Fails, saying what is missing, unless each process can hold its sockets. */
async function checkMachine(serverSockets: number, loadSockets: number, addresses: string[]) {
  const { soft, hard } = openFileLimit();
  // Beside its sockets, a node process holds ~40 files (its own, Redis, IPC, epoll, tsx's).
  const margin = 100;
  const most = Math.max(serverSockets, loadSockets) + margin;
  if (soft < most) {
    throw new Error(
      `a process here may hold ${soft} open files (ulimit -n; hard limit ${hard}), and this run needs ${most} in one process (${serverSockets} streams per server, ${loadSockets} connections per load process, + ${margin}): raise it (ulimit -n ${most}) or use more processes (servers=, loads=)`,
    );
  }
  const ports = ephemeralPorts();
  if (loadSockets > ports - margin) {
    throw new Error(
      `each load process connects from one source address, which has ${ports} ephemeral ports (/proc/sys/net/ipv4/ip_local_port_range), fewer than its ${loadSockets} connections + ${margin}: widen the range or use more load processes (loads=)`,
    );
  }
  for (const address of addresses) {
    await new Promise<void>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', (error) => {
        reject(
          new Error(
            `cannot use the loopback source address ${address} (${error.message}): on Linux all of 127.0.0.0/8 is the loopback; elsewhere add the address (e.g. ifconfig lo0 alias ${address})`,
          ),
        );
      });
      probe.listen(0, address, () =>
        probe.close(() => {
          resolve();
        }),
      );
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Load processes

/** The source address of load process `i`: 127.0.0.2, 127.0.0.3, … */
const sourceAddress = (i: number): string => `127.0.${Math.floor((i + 2) / 256)}.${(i + 2) % 256}`;

/** Splits `n` into `parts` shares as equal as can be. */
const split = (n: number, parts: number): number[] =>
  Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));

/**
 * Starts `loads` load processes and opens `streams` connections from them, spread evenly over the
 * servers (each load process over every server); resolves once every server counts them all.
 */
async function openLoads(
  servers: Server[],
  streams: number,
  loads: number,
  batch: number,
): Promise<Child[]> {
  const children = await Promise.all(
    Array.from({ length: loads }, (_, i) =>
      startChild('./clusterLoad.ts', [], `load process ${i}`, args['profile']),
    ),
  );
  const shares = split(streams, loads);
  // Each load's share over the servers, rotated so that the remainders land on different servers.
  await Promise.all(
    children.map((load, i) => {
      const targets = split(shares[i] ?? 0, servers.length).map((count, s) => ({
        port: servers[(s + i) % servers.length]?.port ?? 0,
        count,
      }));
      return load.ask('open', {
        targets,
        localAddress: sourceAddress(i),
        batch,
        ports: portRange(),
      });
    }),
  );
  await waitOpen(servers, streams, 60);
  return children;
}

/** Rejects when any of `list` fails. */
function anyFailure(list: Child[]): Promise<never> {
  const failure = Promise.race(list.map((child) => child.failure));
  failure.catch(() => undefined);
  return failure;
}

async function askAll(children: Child[], cmd: string, extra: object = {}): Promise<unknown[]> {
  return Promise.all(children.map((child) => child.ask(cmd, extra)));
}

/** Waits until every load process has said `complete`, or fails after `seconds`. */
async function allComplete(loads: Child[], seconds: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what}: not everything was delivered within ${seconds} s`));
    }, seconds * 1000);
  });
  try {
    await Promise.race([Promise.all(loads.map((load) => load.completed())), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function merge(reports: LoadReport[]): {
  latency: Histogram;
  received: number;
  gaps: number[];
  heartbeats: number;
  replayed: number;
  cpuMs: number;
} {
  const latency = new Histogram();
  for (const report of reports) latency.merge(report.latency);
  return {
    latency,
    received: sum(reports.map((r) => r.received)),
    gaps: reports.flatMap((r) => r.gaps),
    heartbeats: sum(reports.map((r) => r.heartbeats)),
    replayed: sum(reports.map((r) => r.replayed)),
    cpuMs: sum(reports.map((r) => r.cpuMs)),
  };
}

/** Events `from` … `to` − 1 at `rate`/s, each data `<i> <ms since the epoch when sent> xxx…`. */
async function publish(
  send: (data: string) => Promise<unknown>,
  from: number,
  to: number,
  rate: number,
  size: number,
): Promise<void> {
  const sent: Promise<unknown>[] = [];
  const started = performance.now();
  for (let i = from; i < to;) {
    const due = Math.min(to, from + Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; i < due; i++) {
      const text = `${i} ${now().toFixed(3)}`;
      sent.push(send(text.length >= size ? text : `${text} ${'x'.repeat(size - text.length - 1)}`));
    }
    if (i < to) await sleep(1);
  }
  await Promise.all(sent);
}

// ---------------------------------------------------------------------------------------------
// Scenarios

const stopAll = async (list: Child[]): Promise<void> => {
  await Promise.all(list.map((child) => child.stop()));
};

interface ScaleRow {
  procs: number;
  clients: number;
  published: number;
  delivered: number;
  eventsPerSecond: number;
  p50: number;
  p99: number;
  redisCpuPerEvent: number;
  /** Redis's idle CPU over the same window, per event published: µs. */
  redisIdlePerEvent: number;
  serverCpuPerEvent: number;
  rssPerStream: number;
  connectionsEach: number;
  connectionsTotal: number;
  loadCores: number;
}

async function scaleRow(
  redis: TestRedis,
  info: RedisClientType,
  procs: number,
  clients: number,
): Promise<ScaleRow> {
  const key = `bench:cluster:scale:${procs}:${clients}`;
  const { rate, seconds, size, perLoad } = settings;
  const servers = await startServers(procs, 'channel', redis.url, key);
  const loads: Child[] = [];
  const publisherClient = createClient({ url: redis.url, name: 'cluster-publisher' });
  publisherClient.on('error', () => undefined);
  try {
    const before = await serverMemory(servers);
    loads.push(...(await openLoads(servers, clients, Math.ceil(clients / perLoad), 1000)));
    const after = await serverMemory(servers);
    await publisherClient.connect();
    const channel = await createRedisChannel(publisherClient, key, {
      maxEvents: 1000,
    });
    const connections = await serverConnections(info);
    const count = Math.round(rate * seconds);
    const failures = anyFailure([...servers, ...loads]);
    const what = `${procs} processes × ${clients} clients`;
    // A warm-up, checked like the rest but not measured: 2 s of events (the code paths compiled).
    const warm = Math.round(rate * (smoke ? 1 : 2));
    await askAll(loads, 'expect', { count: warm, reset: true });
    const warmed = allComplete(loads, 60, `${what}, warming up`);
    await Promise.race([publish((data) => channel.send(data), 0, warm, rate, size), failures]);
    await Promise.race([warmed, failures]);
    await askAll(loads, 'expect', { count: warm + count });
    const delivered = allComplete(loads, seconds + 60, what);
    // Redis's CPU with everything connected and nothing published: the floor under each event's.
    const idleBefore = await redisCpu(info);
    const idleStarted = now();
    await sleep(smoke ? 300 : 2000);
    const idleCpu = ((await redisCpu(info)) - idleBefore) / ((now() - idleStarted) / 1000);
    await askAll([...servers, ...loads], 'mark');
    const redisBefore = await redisCpu(info);
    const started = now();
    await Promise.race([
      publish((data) => channel.send(data), warm, warm + count, rate, size),
      failures,
    ]);
    await Promise.race([delivered, failures]);
    const elapsed = (now() - started) / 1000;
    const redisAfter = await redisCpu(info);
    const serverCpuMs = sum((await askAll(servers, 'cpu')) as number[]);
    const load = merge((await askAll(loads, 'report')) as LoadReport[]);
    await channel.complete();
    if (load.received !== clients * count) {
      throw new Error(`${load.received} events received of the ${clients * count} due`);
    }
    return {
      procs,
      clients,
      published: count,
      delivered: load.received,
      eventsPerSecond: load.received / elapsed,
      p50: load.latency.quantile(0.5),
      p99: load.latency.quantile(0.99),
      redisCpuPerEvent: ((redisAfter - redisBefore) * 1e6) / count,
      redisIdlePerEvent: (idleCpu * elapsed * 1e6) / count,
      serverCpuPerEvent: (serverCpuMs * 1000) / load.received,
      rssPerStream: (after - before) / clients,
      connectionsEach: connections.each,
      connectionsTotal: connections.total,
      loadCores: load.cpuMs / 1000 / elapsed,
    };
  } finally {
    await stopAll(loads);
    await stopAll(servers);
    await publisherClient.close().catch(() => undefined);
  }
}

interface ManyRun {
  streams: number;
  openSeconds: number;
  rssPerStream: number;
  serverRss: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
  late: number;
  heartbeatsPerStream: number;
  delivered: number;
  p50: number;
  p99: number;
  connectionsEach: number;
}

async function many(redis: TestRedis, info: RedisClientType): Promise<ManyRun> {
  const { streams, servers: serverCount, loads: loadCount, heartbeat, hold, events } = settings;
  const key = 'bench:cluster:many';
  await checkMachine(
    Math.ceil(streams / serverCount),
    Math.ceil(streams / loadCount),
    Array.from({ length: loadCount }, (_, i) => sourceAddress(i)),
  );
  const servers = await startServers(serverCount, 'channel', redis.url, key, heartbeat);
  const loads: Child[] = [];
  const publisherClient = createClient({ url: redis.url, name: 'cluster-publisher' });
  publisherClient.on('error', () => undefined);
  try {
    const before = await serverMemory(servers);
    const opening = now();
    // Each load process opens 500 at a time, so that at most a few thousand connections wait
    // in the servers' accept queues (4,096 deep) at once.
    loads.push(...(await openLoads(servers, streams, loadCount, 500)));
    const openSeconds = (now() - opening) / 1000;
    const failures = anyFailure([...servers, ...loads]);
    // The gap window: heartbeats only, nothing published.
    await askAll(loads, 'mark');
    await Promise.race([sleep(hold * 1000), failures]);
    const idle = merge((await askAll(loads, 'report')) as LoadReport[]);
    const after = await serverMemory(servers);
    const connections = await serverConnections(info);
    // Then a few events, that every connection must get, in order, exactly once.
    await publisherClient.connect();
    const channel = await createRedisChannel(publisherClient, key, {
      maxEvents: 1000,
    });
    await askAll(loads, 'expect', { count: events, reset: true });
    const delivered = allComplete(loads, events / settings.eventRate + 60, `${streams} streams`);
    await askAll(loads, 'mark');
    await Promise.race([
      publish((data) => channel.send(data), 0, events, settings.eventRate, settings.size),
      failures,
    ]);
    await Promise.race([delivered, failures]);
    const load = merge((await askAll(loads, 'report')) as LoadReport[]);
    await channel.complete();
    if (load.received !== streams * events) {
      throw new Error(`${load.received} events received of the ${streams * events} due`);
    }
    const lateness = idle.gaps.map((gap) => gap - heartbeat);
    return {
      streams,
      openSeconds,
      rssPerStream: (after - before) / streams,
      serverRss: after,
      gapP50: quantile(idle.gaps, 0.5),
      gapP99: quantile(idle.gaps, 0.99),
      gapMax: Math.max(...idle.gaps),
      late: lateness.filter((late) => late > 0).length,
      heartbeatsPerStream: idle.heartbeats / streams,
      delivered: load.received,
      p50: load.latency.quantile(0.5),
      p99: load.latency.quantile(0.99),
      connectionsEach: connections.each,
    };
  } finally {
    await stopAll(loads);
    await stopAll(servers);
    await publisherClient.close().catch(() => undefined);
  }
}

interface ResumableRun {
  answers: number;
  tokens: number;
  resumed: number;
  tokensPerSecond: number;
  p50: number;
  p99: number;
  replayed: number;
  redisCpuPerToken: number;
  serverCpuPerToken: number;
  connectionsEach: number;
  readers: number;
  seconds: number;
}

async function resumable(
  redis: TestRedis,
  info: RedisClientType,
  answers: number,
): Promise<ResumableRun> {
  const { tokens, tokenRate, switchAt } = settings;
  const prefix = `bench:cluster:answer:${answers}`;
  const servers = await startServers(2, 'resumable', redis.url, prefix);
  const loads: Child[] = [];
  try {
    loads.push(await startChild('./clusterLoad.ts', [], 'load process 0', args['profile']));
    const [first, second] = servers.map((server) => server.port) as [number, number];
    // Answer a is POSTed to server a % 2; every other pair is dropped and read on the other one.
    const plans = Array.from({ length: answers }, (_, a) => ({
      post: a % 2 === 0 ? first : second,
      resume: Math.floor(a / 2) % 2 === 1 ? (a % 2 === 0 ? second : first) : 0,
    }));
    const resumed = plans.filter((plan) => plan.resume !== 0).length;
    const failures = anyFailure([...servers, ...loads]);
    const seconds = tokens / tokenRate;
    // A warm-up, checked like the rest but not measured: 20 short answers the same way round.
    const warmed = allComplete(loads, 60, `${answers} answers, warming up`);
    await loads[0]?.ask('answers', {
      answers: plans.slice(0, 20),
      tokens: switchAt + 5,
      rate: 50,
      switchAt,
      batch: 100,
      localAddress: sourceAddress(0),
      ports: portRange(),
    });
    await Promise.race([warmed, failures]);
    await askAll([...servers, ...loads], 'mark');
    const redisBefore = await redisCpu(info);
    const started = now();
    const delivered = allComplete(loads, seconds + 60, `${answers} answers`);
    await loads[0]?.ask('answers', {
      answers: plans,
      tokens,
      rate: tokenRate,
      switchAt,
      batch: 100,
      localAddress: sourceAddress(0),
      ports: portRange(),
    });
    // Redis's connections while the answers run: the most any process held, sampled.
    let connectionsEach = 0;
    let readers = 0;
    let done = false;
    const isDone = (): boolean => done;
    const sampling = (async () => {
      while (!isDone()) {
        const clients = await redisClients(info);
        connectionsEach = Math.max(connectionsEach, (await serverConnections(info, clients)).each);
        readers = Math.max(
          readers,
          clients.filter((c) => c.name.startsWith('cluster-server-') && c.cmd === 'xread').length,
        );
        await sleep(250);
      }
    })();
    sampling.catch(() => undefined);
    try {
      await Promise.race([delivered, failures]);
    } finally {
      done = true;
    }
    await sampling;
    const elapsed = (now() - started) / 1000;
    const redisAfter = await redisCpu(info);
    const serverCpuMs = sum((await askAll(servers, 'cpu')) as number[]);
    const load = merge((await askAll(loads, 'report')) as LoadReport[]);
    if (load.received !== answers * tokens) {
      throw new Error(`${load.received} tokens received of the ${answers * tokens} due`);
    }
    return {
      answers,
      tokens,
      resumed,
      tokensPerSecond: load.received / elapsed,
      p50: load.latency.quantile(0.5),
      p99: load.latency.quantile(0.99),
      replayed: load.replayed,
      redisCpuPerToken: ((redisAfter - redisBefore) * 1e6) / (answers * tokens),
      serverCpuPerToken: (serverCpuMs * 1000) / (answers * tokens),
      connectionsEach,
      readers,
      seconds: elapsed,
    };
  } finally {
    await stopAll(loads);
    await stopAll(servers);
  }
}

// ---------------------------------------------------------------------------------------------
// The report

const { say, save } = createReport(out === '' ? '' : `${out}/cluster.md`);
const n = (x: number): string => Math.round(x).toLocaleString('en');
const k = (x: number): string => `${(x / 1000).toFixed(x < 10_000 ? 1 : 0)}k`;
const ms = (x: number): string => x.toFixed(2);
const kb = (x: number): string => `${(x / 1024).toFixed(1)} KB`;

const watchdog = setTimeout(() => {
  console.error(`bench/cluster: still running after ${settings.timeout} s: stopping`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, settings.timeout * 1000);
watchdog.unref();

say(`# rx-sse beyond one process${smoke ? ' (smoke size)' : ''}`);
say();
say(
  `${new Date().toISOString().slice(0, 10)}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, load ${(loadavg()[0] ?? NaN).toFixed(2)} at the start, ${(freemem() / 2 ** 30).toFixed(1)} GiB free; rx-sse from ${fromSource ? 'its sources (tsx)' : 'dist/'} (${revision()}); \`npm run bench:cluster${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}\`. Every process — Redis, the servers, the load clients — shares these ${cpus().length} cores: the figures are of one machine standing in for several. Every connection got every event, in order, exactly once (the run fails otherwise).`,
);

let redis: TestRedis | undefined;
let info: RedisClientType | undefined;
let failed = false;
try {
  redis = await startRedis();
  info = createClient({ url: redis.url, name: 'cluster-bench' });
  info.on('error', () => undefined);
  await info.connect();
  // Redis's default fsync policy with the AOF on: startRedis() fsyncs every write, for specs that
  // kill it; a broadcast server would not.
  await info.configSet('appendfsync', 'everysec');
  const version = /^redis_version:(\S+)/m.exec(await info.info('server'))?.[1] ?? '?';
  say(`Redis ${version}, one instance, AOF with \`appendfsync everysec\`.`);

  if (scenarios.has('scale')) {
    const { rate, seconds, size } = settings;
    const noise = measureNoise();
    const rows: ScaleRow[] = [];
    for (const procs of settings.procs) {
      for (const clients of settings.clients) {
        rows.push(await scaleRow(redis, info, procs, clients));
        process.stdout.write('.');
      }
    }
    process.stdout.write('\n');
    say();
    say(
      `## Scale: server processes on one Redis channel, ${rate} events/s of ${size} B for ${seconds} s`,
    );
    say();
    say(
      '| processes | clients | delivered events/s | p50 (ms) | p99 (ms) | Redis CPU per published event (µs) | of which its idle floor | server CPU per delivered event (µs) | RSS per stream | Redis connections: per server process / all | load clients (cores) |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) {
      say(
        `| ${row.procs} | ${n(row.clients)} | ${k(row.eventsPerSecond)} | ${ms(row.p50)} | ${ms(row.p99)} | ${row.redisCpuPerEvent.toFixed(1)} | ${row.redisIdlePerEvent.toFixed(1)} | ${row.serverCpuPerEvent.toFixed(2)} | ${kb(row.rssPerStream)} | ${row.connectionsEach} / ${row.connectionsTotal} | ${row.loadCores.toFixed(2)} |`,
      );
    }
    say();
    say(
      `Each process serves its clients from one channel with one reader (XREAD BLOCK) on Redis; the publisher is a channel of its own (its connection and its reader), in the benchmark's process. Latency: from the publisher's send to a load client's read (clocks of one machine). Redis CPU per published event: the change in \`used_cpu_sys + used_cpu_user\` over the publishing window over the events published, its idle floor included: what Redis used per second over ${smoke ? '0.3' : '2'} s just before, everything connected and nothing published (its timers, the readers' XREAD BLOCK timing out every 5 s), times the window, over the events — the same whatever the number of clients, and a smaller share at a higher rate. Redis connections (CLIENT LIST, clients connected): each server process's (its channel's client and its reader), and all of them (the publisher's two and the benchmark's own included). Server CPU per delivered event: every server's CPU over the window over the events delivered. RSS per stream: the servers' RSS after a full GC, with the streams open minus before, over the streams. Load clients: the CPU of the processes reading every stream, in cores.`,
    );
    say(noiseLine(noise()));
    save();
  }

  if (scenarios.has('readers')) {
    const noise = measureNoise();
    const rows: ScaleRow[] = [];
    for (const procs of settings.readers) {
      rows.push(await scaleRow(redis, info, procs, settings.readerClients));
      process.stdout.write('.');
    }
    process.stdout.write('\n');
    // Readers: one per server process, and the publisher's own channel's.
    const xs = rows.map((row) => row.procs + 1);
    const ys = rows.map((row) => row.redisCpuPerEvent - row.redisIdlePerEvent);
    const mx = sum(xs) / xs.length;
    const my = sum(ys) / ys.length;
    const slope =
      sum(xs.map((x, i) => (x - mx) * ((ys[i] ?? 0) - my))) / sum(xs.map((x) => (x - mx) ** 2));
    say();
    say(
      `## Readers: Redis's CPU per event by server processes (${n(settings.readerClients)} clients, ${settings.rate} events/s)`,
    );
    say();
    say(
      '| processes | readers on Redis | Redis CPU per published event (µs) | of which its idle floor | above the floor | Redis connections: per server process / all |',
    );
    say('|---|---|---|---|---|---|');
    rows.forEach((row, i) => {
      say(
        `| ${row.procs} | ${xs[i] ?? 0} | ${row.redisCpuPerEvent.toFixed(1)} | ${row.redisIdlePerEvent.toFixed(1)} | ${(ys[i] ?? 0).toFixed(1)} | ${row.connectionsEach} / ${row.connectionsTotal} |`,
      );
    });
    say();
    say(
      `A straight line through the CPU above the floor: ${rows.length > 1 ? `${slope.toFixed(1)} µs per reader per event, and ${(my - slope * mx).toFixed(1)} µs per event besides (the publish itself)` : 'needs two rows or more'}. Readers: one per server process, and the publisher's channel's own. At ${settings.rate} events/s each reader wakes for each event (nothing to batch): a faster publisher, whose events come several to an XREAD, costs less per event.`,
    );
    say(noiseLine(noise()));
    save();
  }

  if (scenarios.has('many')) {
    const noise = measureNoise();
    const run = await many(redis, info);
    const { servers, loads, heartbeat, hold, events, eventRate } = settings;
    say();
    say(
      `## Many: ${n(run.streams)} concurrent streams on this machine (${servers} server processes, ${loads} load processes)`,
    );
    say();
    say('| what | figure |');
    say('|---|---|');
    say(`| streams open | ${n(run.streams)} (${n(run.streams / servers)} per server process) |`);
    say(
      `| time to open them all | ${run.openSeconds.toFixed(1)} s (${n(run.streams / run.openSeconds)} per second) |`,
    );
    say(`| RSS per stream (servers, after a full GC) | ${kb(run.rssPerStream)} |`);
    say(`| servers' RSS, all together | ${(run.serverRss / 2 ** 20).toFixed(0)} MB |`);
    say(
      `| longest silence per connection over ${hold} s, heartbeat every ${heartbeat} ms: p50 / p99 / max | ${n(run.gapP50)} / ${n(run.gapP99)} / ${n(run.gapMax)} ms |`,
    );
    say(
      `| connections silent past the period / lateness at p99 / max | ${n(run.late)} / ${n(Math.max(0, run.gapP99 - heartbeat))} / ${n(Math.max(0, run.gapMax - heartbeat))} ms |`,
    );
    say(`| heartbeats per connection over ${hold} s | ${run.heartbeatsPerStream.toFixed(2)} |`);
    say(
      `| ${events} events at ${eventRate}/s, delivered to every connection in order exactly once | ${n(run.delivered)} deliveries |`,
    );
    say(`| their latency p50 / p99 | ${ms(run.p50)} / ${ms(run.p99)} ms |`);
    say(`| Redis connections per server process | ${run.connectionsEach} |`);
    say();
    say(
      `Each load process connects from its own loopback source address (127.0.0.2, 127.0.0.3, …) to every server, so that no address needs more than its ${n(ephemeralPorts())} ephemeral ports; each process stays under the open-file limit (${n(openFileLimit().soft)} here). rx-sse sweeps its streams every quarter of the period and beats those idle for four sweeps, so an idle stream's silence is the whole period plus however late its sweeps ran: lateness past the period comes from the servers' event loops (a sweep writes to every idle stream of its process at once) and from the load clients' own reading, all on these cores.`,
    );
    say(noiseLine(noise()));
    save();
  }

  if (scenarios.has('resumable')) {
    const noise = measureNoise();
    const runs: ResumableRun[] = [];
    for (const answers of settings.answers) {
      runs.push(await resumable(redis, info, answers));
      process.stdout.write('.');
    }
    process.stdout.write('\n');
    const { tokens, tokenRate, switchAt } = settings;
    say();
    say(
      `## Resumable answers over 2 processes on one Redis: concurrent answers × ${tokens} tokens at ${tokenRate}/s`,
    );
    say();
    say(
      '| answers | resumed on the other process | tokens delivered/s | p50 (ms) | p99 (ms) | Redis CPU per token (µs) | server CPU per token (µs) | Redis connections per server process | XREAD readers | tokens replayed on resume | run (s) |',
    );
    say('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const run of runs) {
      say(
        `| ${n(run.answers)} | ${n(run.resumed)} | ${k(run.tokensPerSecond)} | ${ms(run.p50)} | ${ms(run.p99)} | ${run.redisCpuPerToken.toFixed(1)} | ${run.serverCpuPerToken.toFixed(1)} | ${run.connectionsEach} | ${run.readers} | ${n(run.replayed)} | ${run.seconds.toFixed(1)} |`,
      );
    }
    say();
    say(
      `Each answer is POSTed to one process (half to each, ${settings.answers.length > 1 ? 'a fresh pair of processes per row' : 'two processes'}), all of them within the first second or so; every other pair is dropped after ${switchAt} tokens and read on from the other process with its Last-Event-ID. Every answer gave every token once, in order, then \`done\` (the run fails otherwise). Latency: from the producer making a token to a client reading it, live tokens only (a token made before its resuming GET was sent came from Redis's history: "replayed"). Redis CPU per token: its CPU over the run over the tokens, with each answer's start and end, the leases renewed every second and the readers' XREADs. Server CPU per token: both servers', POSTs and resumes included. Redis connections (CLIENT LIST, sampled every 250 ms while the answers ran): the most any server process held, and the most blocked in XREAD at once.`,
    );
    say(noiseLine(noise()));
    save();
  }
} catch (error) {
  failed = true;
  console.error(`bench/cluster failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  for (const child of children) await stopChild(child);
  await info?.close().catch(() => undefined);
  await redis?.stop();
  clearTimeout(watchdog);
}

save();
if (out !== '' && !failed) console.log(`\nwritten: ${out}/cluster.md`);
process.exitCode = failed ? 1 : 0;
