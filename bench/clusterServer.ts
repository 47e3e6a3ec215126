// One server process of bench/cluster.ts: rx-sse's `sse()` on node:http, fed through Redis, as an
// application runs it on each of several machines (or processes) behind a load balancer.
//
//   argv[2]: the mode
//     channel     GET /events → `channel.stream(ctx)` of one `createRedisChannel` shared by every
//                 process (argv[4]: its key): one reader (XREAD BLOCK) per process, whatever the
//                 number of clients
//     resumable   POST /answers {tokens, rate} starts an answer (a producer of `tokens` `token`
//                 events, `rate` per second, each data `<n> <ms since the epoch when made>`, then
//                 `done`) in `createRedisResumableStreams` and streams it, `Location` in the head;
//                 GET /answers/<id> (+ Last-Event-ID) reads it, on any process
//   argv[3]: the Redis URL; argv[5]: the name its connections give Redis (CLIENT SETNAME), so that
//   CLIENT LIST tells which process holds which connection; argv[6]: the heartbeat period in ms.
//
// IPC in: { cmd: 'open' } → streams open now; { cmd: 'mark' } → starts counting CPU;
// { cmd: 'cpu' } → CPU ms since the mark; { cmd: 'memory' } → RSS in bytes after a full GC.
// The process exits when the benchmark disconnects (it finished, or died).
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createClient, type RedisClientType } from 'redis';
import { concat, interval, map, of, take, type Observable } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent, type SseListener } from 'rx-sse';
import { createRedisChannel, createRedisResumableStreams } from 'rx-sse/redis';
import { answerMeasure, listenForBench, markCpu } from './benchServer.js';

const [mode = 'channel', redisUrl = '', key = 'bench:cluster', name = 'cluster-server', beat] =
  process.argv.slice(2);
const heartbeat = beat === undefined || beat === '' ? 15_000 : Number(beat);

// The benchmark is gone (finished, or failed): so is this server.
process.on('disconnect', () => process.exit(0));

const client = createClient({ url: redisUrl, name }) as RedisClientType;
client.on('error', (error: unknown) => {
  console.error(`bench/clusterServer (${name}):`, error);
});
await client.connect();

/** A producer of `tokens` token events, `rate` per second, each stamped with when it was made. */
function tokens(count: number, rate: number): Observable<SseEvent> {
  return concat(
    interval(1000 / rate).pipe(
      take(count),
      map((n) => ({
        event: 'token',
        data: `${n} ${(performance.timeOrigin + performance.now()).toFixed(3)}`,
      })),
    ),
    of({ event: 'done', data: '' }),
  );
}

async function listen(): Promise<SseListener> {
  if (mode === 'channel') {
    const channel = await createRedisChannel(client, key, { maxEvents: 1000 });
    return sse((ctx) => channel.stream(ctx), { heartbeat, maxBufferedBytes: 64 << 20 });
  }
  if (mode !== 'resumable') throw new Error(`bench/clusterServer: unknown mode ${mode}`);
  const answers = createRedisResumableStreams(client, { ttl: 120_000, prefix: key });
  const answer = async (ctx: SseContext): Promise<Observable<SseEvent>> => {
    if (ctx.request.method === 'POST') {
      const body = (await ctx.json()) as { tokens?: unknown; rate?: unknown } | null;
      const count = Number(body?.tokens);
      const rate = Number(body?.rate);
      if (!(count > 0 && rate > 0)) throw new HttpError(400, 'tokens and rate, both > 0');
      const id = await answers.start(tokens(count, rate));
      ctx.setHeader('Location', `/answers/${id}`);
      return answers.read(id);
    }
    const id = /^\/answers\/([\w-]{1,64})$/.exec(ctx.url.pathname)?.[1];
    if (id === undefined || !(await answers.has(id))) throw new HttpError(404);
    return answers.read(id, ctx);
  };
  return sse(answer, { methods: ['GET', 'POST'], heartbeat, maxBufferedBytes: 64 << 20 });
}

const listener = await listen();
const server = createServer(listener);
listenForBench(server);

process.on('message', (message: { cmd: string }) => {
  const reply = (value: unknown): void => {
    process.send?.({ cmd: message.cmd, value });
  };
  if (answerMeasure(message.cmd, reply)) return;
  switch (message.cmd) {
    case 'open':
      reply(listener.stats.open);
      return;
    case 'mark':
      markCpu();
      reply(true);
      return;
  }
});
