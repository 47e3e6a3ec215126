// One benchmark server, in its own process so that its CPU and memory are measured alone.
//
//   argv[2]: the mode — how the same broadcast reaches the same clients (argv[3]: the Redis URL
//   of the redis mode; argv[4]: a heartbeat period in ms, for rx-sse's modes and the loops):
//     naive       a Set of responses, one preformatted write per event per client
//     joined      the same, but each turn's frames appended to one string, written once per client
//     unchunked   the joined loop without chunked framing: `Connection: close` and node's chunked
//                 encoding off, so the body is delimited by the connection's end (valid HTTP/1.1,
//                 RFC 9112 §6.3) and each write goes to the socket as it is — the ceiling's cost of
//                 framing
//     sse         rx-sse's sse(), every client subscribed to one shared Subject
//     channel     rx-sse's in-memory channel, through sse()
//     redis       rx-sse's Redis channel, through sse()   (argv[3]: the Redis URL)
//     fetch       the sse mode's stream, served by sse()'s fetch door (`listener.fetch`) behind
//                 @hono/node-server, as a fetch runtime on node serves it
//     fetch-channel  the channel mode's stream, through the same fetch door
//     fetch-naive    no rx-sse: a bare ReadableStream Response behind @hono/node-server (idle only:
//                 what the adaptor itself holds per stream, beside the fetch door)
//     better-sse  better-sse's createSession + Channel.broadcast
//     nest        NestJS with @nestjs/platform-express: an `@Sse()` handler returning an
//                 Observable<MessageEvent> of one shared Subject, as a NestJS user writes it
//     hono        Hono's `streamSSE` on @hono/node-server: each stream subscribes to one shared
//                 Subject and writes every event with `stream.writeSSE`
//
// Every mode sends, per event, `id: <ms>-<i>\ndata: <i> <padding>\n\n`: the
// channels make ids of that shape (a 13-digit time and a sequence), so the other modes send ids
// of the same length and every mode the same bytes (Hono writes the `data` line before the `id`
// line: the same bytes in another order). The load client checks each connection's `data`
// numbers arrive in order.
//
// IPC in: { cmd: 'subscribers' } → open streams; { cmd: 'publish', count, size, perTick, rate? }
// → broadcasts `count` events, `perTick` per turn (or `rate` per second, each stamped with the
// time it was sent), and replies once all are handed over; { cmd: 'cpu' } → CPU ms since the
// publish began; { cmd: 'memory' } → RSS after a full GC.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createAdaptorServer } from '@hono/node-server';
import type { MessageEvent } from '@nestjs/common';
import { createChannel as betterChannel, createSession } from 'better-sse';
import { createClient } from 'redis';
import { Observable, Subject } from 'rxjs';
import { sse, type SseEvent } from 'rx-sse';
import { createChannel, type SseChannel } from 'rx-sse/channel';
import { createRedisChannel } from 'rx-sse/redis';
import { answerMeasure, listenForBench, markCpu } from './benchServer.js';

const mode = process.argv[2] ?? 'naive';
const redisUrl = process.argv[3] ?? '';
// argv[4]: the heartbeat period in ms (rx-sse's default, 15 s, if empty; the loops then have none).
const heartbeat = process.argv[4] ? Number(process.argv[4]) : undefined;
/** The options of every rx-sse mode's listener. */
const sseOptions = {
  maxBufferedBytes: 64 << 20,
  ...(heartbeat === undefined ? {} : { heartbeat }),
};

const head = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
};

/**
 * What one mode provides: a request listener (or a fetch handler, served by @hono/node-server),
 * how many streams are open, and a broadcast.
 */
interface Mode {
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  fetch?: (request: Request) => Response | Promise<Response>;
  /** @hono/node-server's default (true) swaps in its lighter Request and Response. */
  overrideGlobalObjects?: boolean;
  open(): number;
  /** Sends one event (number `i`, data `data`) to every client. */
  send(i: number, data: string): void;
}

/** An id at least as long as a channel's for the same event: `<ms since the epoch>-<i>`. */
const idTime = Date.now();
function idOf(i: number): string {
  return `${idTime}-${i}`;
}

function rawLoop(joined: boolean, chunked = true): Mode {
  const clients = new Set<ServerResponse>();
  let pending = '';
  const flush = (): void => {
    const chunk = pending;
    pending = '';
    for (const res of clients) res.write(chunk);
  };
  // With a heartbeat period (argv[4]), as a hand-written server keeps its streams open: one
  // timer that writes a comment to every stream each period.
  if (heartbeat !== undefined) {
    setInterval(() => {
      for (const res of clients) res.write(':\n\n');
    }, heartbeat);
  }
  return {
    listener(req, res) {
      if (chunked) res.writeHead(200, head);
      else {
        res.useChunkedEncodingByDefault = false;
        res.writeHead(200, { ...head, Connection: 'close' });
      }
      res.flushHeaders();
      clients.add(res);
      req.on('close', () => clients.delete(res));
    },
    open: () => clients.size,
    send(i, data) {
      const frame = `id: ${idOf(i)}\ndata: ${data}\n\n`;
      if (!joined) {
        for (const res of clients) res.write(frame);
        return;
      }
      if (pending === '') queueMicrotask(flush);
      pending += frame;
    },
  };
}

/** `door`: 'fetch' serves the same listener through `listener.fetch` instead of node:http. */
function sseSubject(door: 'node' | 'fetch'): Mode {
  const events = new Subject<SseEvent>();
  const listener = sse(() => events, sseOptions);
  return {
    listener,
    ...(door === 'fetch' ? { fetch: listener.fetch } : {}),
    open: () => listener.stats.open,
    send: (i, data) => {
      events.next({ id: idOf(i), data });
    },
  };
}

function sseChannel(channel: SseChannel, door: 'node' | 'fetch' = 'node'): Mode {
  const listener = sse((ctx) => channel.stream(ctx), sseOptions);
  return {
    listener,
    ...(door === 'fetch' ? { fetch: listener.fetch } : {}),
    open: () => listener.stats.open,
    send: (_i, data) => {
      void channel.send(data);
    },
  };
}

/** The fetch modes' floor: the adaptor and a web stream that never sends (idle only). */
function fetchNaive(): Mode {
  let open = 0;
  return {
    listener: () => {
      throw new Error('fetch-naive has no node listener');
    },
    fetch: () => {
      open++;
      const body = new ReadableStream<Uint8Array>({
        cancel: () => {
          open--;
        },
      });
      return Promise.resolve(new Response(body, { headers: head }));
    },
    open: () => open,
    send: () => {
      throw new Error('fetch-naive only measures idle streams');
    },
  };
}

function betterSse(): Mode {
  const channel = betterChannel();
  return {
    listener(req, res) {
      // Data as text, as the others send it (better-sse would JSON-encode a string).
      void createSession(req, res, { serializer: String }).then((session) =>
        channel.register(session),
      );
    },
    open: () => channel.sessionCount,
    send: (i, data) => {
      channel.broadcast(data, 'message', { eventId: idOf(i) });
    },
  };
}

/**
 * NestJS's own SSE: `@Sse('events')` on a controller method returning an Observable of
 * MessageEvent, served by @nestjs/platform-express. The decorators are applied as functions (the
 * repo's tsconfig has no experimentalDecorators); a NestJS user writes `@Controller()` and
 * `@Sse('events')` above the class and the method.
 */
async function nest(): Promise<Mode> {
  // Loaded here, not above: the other modes' servers start without NestJS and Express.
  await import('reflect-metadata');
  const { Controller, Module, Sse } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  const { default: express } = await import('express');
  const events = new Subject<MessageEvent>();
  let open = 0;
  class EventsController {
    events(): Observable<MessageEvent> {
      // The count is the benchmark's (it waits for every client): the stream is `events` itself.
      return new Observable<MessageEvent>((subscriber) => {
        open++;
        const subscription = events.subscribe(subscriber);
        return () => {
          open--;
          subscription.unsubscribe();
        };
      });
    }
  }
  const method = Object.getOwnPropertyDescriptor(EventsController.prototype, 'events');
  if (method === undefined) throw new Error('bench/server: no events method');
  Sse('events')(EventsController.prototype, 'events', method);
  Controller()(EventsController);
  // A NestJS module is an empty class that its decorator describes.
  // eslint-disable-next-line @typescript-eslint/no-extraneous-class
  class AppModule {}
  Module({ controllers: [EventsController] })(AppModule);
  const app = express();
  // NestJS's options are a class that its users pass as a literal, as here.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
  const nestApp = await NestFactory.create(AppModule, new ExpressAdapter(app), { logger: false });
  await nestApp.init();
  return {
    listener: app,
    open: () => open,
    send: (i, data) => {
      events.next({ id: idOf(i), data });
    },
  };
}

/** Hono's `streamSSE`, each stream writing every event of one shared Subject. */
async function hono(): Promise<Mode> {
  const { Hono } = await import('hono');
  const { streamSSE } = await import('hono/streaming');
  const events = new Subject<{ id: string; data: string }>();
  let open = 0;
  const app = new Hono();
  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      open++;
      const subscription = events.subscribe((event) => {
        void stream.writeSSE(event);
      });
      await new Promise<void>((resolve) => {
        stream.onAbort(resolve);
      });
      subscription.unsubscribe();
      open--;
    }),
  );
  return {
    listener: () => {
      throw new Error('hono has no node listener');
    },
    fetch: app.fetch,
    overrideGlobalObjects: true,
    open: () => open,
    send: (i, data) => {
      events.next({ id: idOf(i), data });
    },
  };
}

async function pick(): Promise<Mode> {
  switch (mode) {
    case 'naive':
      return rawLoop(false);
    case 'joined':
      return rawLoop(true);
    case 'unchunked':
      return rawLoop(true, false);
    case 'sse':
      return sseSubject('node');
    case 'fetch':
      return sseSubject('fetch');
    case 'channel':
      return sseChannel(createChannel({ maxEvents: 1000 }));
    case 'fetch-channel':
      return sseChannel(createChannel({ maxEvents: 1000 }), 'fetch');
    case 'redis': {
      const client = createClient({ url: redisUrl });
      client.on('error', () => undefined);
      await client.connect();
      return sseChannel(
        await createRedisChannel(client, `bench:${process.pid}`, { maxEvents: 1000 }),
      );
    }
    case 'fetch-naive':
      return fetchNaive();
    case 'better-sse':
      return betterSse();
    case 'nest':
      return nest();
    case 'hono':
      return hono();
    default:
      throw new Error(`bench/server: unknown mode ${mode}`);
  }
}

const chosen = await pick();
// The fetch modes: @hono/node-server turns each node request into a `Request` and writes the
// `Response`'s ReadableStream back, as `serve({ fetch: listener.fetch })` does for an app on node.
const server =
  chosen.fetch === undefined
    ? createServer(chosen.listener)
    : (createAdaptorServer({
        fetch: chosen.fetch,
        overrideGlobalObjects: chosen.overrideGlobalObjects ?? false,
      }) as Server);
listenForBench(server);

interface Command {
  cmd: string;
  count: number;
  size: number;
  perTick: number;
  rate?: number;
}

process.on('message', (message: Command) => {
  const reply = (value: unknown): void => {
    process.send?.({ cmd: message.cmd, value });
  };
  if (answerMeasure(message.cmd, reply)) return;
  switch (message.cmd) {
    case 'subscribers':
      reply(chosen.open());
      return;
    case 'publish':
      markCpu();
      if (message.rate === undefined)
        burst(message, () => {
          reply(message.count);
        });
      else
        paced(message, message.rate, () => {
          reply(message.count);
        });
      return;
  }
});

/** `perTick` events per turn of the event loop, as fast as the loop turns. */
function burst({ count, size, perTick }: Command, done: () => void): void {
  let i = 0;
  const tick = (): void => {
    for (let n = 0; n < perTick && i < count; n++, i++) chosen.send(i, pad(`${i}`, size));
    if (i < count) setImmediate(tick);
    else done();
  };
  tick();
}

/** `rate` events per second, each carrying the time it was sent (ms since the epoch, fractional). */
function paced({ count, size }: Command, rate: number, done: () => void): void {
  let i = 0;
  const started = performance.now();
  const tick = (): void => {
    const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; i < due; i++) {
      const sent = performance.timeOrigin + performance.now();
      chosen.send(i, pad(`${i} ${sent.toFixed(3)}`, size));
    }
    if (i < count) setTimeout(tick, 1);
    else done();
  };
  tick();
}

function pad(text: string, size: number): string {
  return text.length >= size ? text : `${text} ${'x'.repeat(size - text.length - 1)}`;
}
