// rx-sse in Koa: a middleware hands Koa's raw `ctx.req` and `ctx.res` to the listener, after
// `ctx.respond = false`, which tells Koa that the response is someone else's to write. Koa's own
// routes (the page, a JSON route) live beside it.
//
// Run: node --conditions=rx-sse-source --import tsx samples/frameworks/koa.ts
// Then open http://localhost:8080/?room=kitchen or: curl -N http://localhost:8080/events/kitchen
import Koa from 'koa';
import { sse, type SseListener } from 'rx-sse';
import { isMain } from '../serve.js';
import {
  defaultPort,
  roomCounter,
  roomPage,
  running,
  runFromCommandLine,
  type Running,
  type StartOptions,
} from './rooms.js';

/** The app, and the stream's listener (for its `stats` and `close()`). */
export function koaApp(period = 1000): { app: Koa; events: SseListener } {
  const app = new Koa();
  // The handler sees node's request, not Koa's context: what the route found is handed over here.
  const roomOf = new WeakMap<object, string>();
  const events = sse((ctx) => roomCounter((ctx.req && roomOf.get(ctx.req)) ?? '', ctx, period), {
    retry: 1000,
    // Koa never sees a handler's error (rx-sse answers it), so send it where Koa's errors go.
    onError: (error) => {
      app.emit('error', error);
    },
  });

  app.use(async (ctx, next) => {
    if (ctx.method === 'GET' && ctx.path === '/') {
      ctx.type = 'html';
      ctx.body = roomPage;
    } else if (ctx.method === 'GET' && ctx.path === '/stats') {
      ctx.body = events.stats;
    } else {
      await next();
    }
  });

  app.use(async (ctx, next) => {
    const room = /^\/events\/([\w-]+)$/.exec(ctx.path)?.[1];
    if (room === undefined || (ctx.method !== 'GET' && ctx.method !== 'HEAD')) {
      await next();
      return;
    }
    roomOf.set(ctx.req, room);
    // Without it, Koa ends the response as soon as this middleware returns: the client gets the
    // head and the body `OK`, and an EventSource reconnects for ever.
    ctx.respond = false;
    events(ctx.req, ctx.res);
  });

  return { app, events };
}

/** Listens, and shuts down gracefully: `server.close()` alone would wait for every open stream. */
export function start(options: StartOptions = {}): Promise<Running> {
  const { port = defaultPort(), host, period } = options;
  const { app, events } = koaApp(period);
  const server = app.listen(port, host);
  return running(server, events);
}

if (isMain(import.meta.url)) await runFromCommandLine('koa', start);
