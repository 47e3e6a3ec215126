// rx-sse in Fastify: the route hijacks its reply, which tells Fastify that the response is
// someone else's to write, and hands the raw request and response to the listener. Fastify's own
// routes (the page, a JSON route) live beside it, and `:room` comes from Fastify's router.
//
// Run: node --conditions=rx-sse-source --import tsx samples/frameworks/fastify.ts
// Then open http://localhost:8080/?room=kitchen or: curl -N http://localhost:8080/events/kitchen
import Fastify, { type FastifyInstance } from 'fastify';
import { sse, type SseListener } from 'rx-sse';
import { isMain } from '../serve.js';
import {
  defaultPort,
  originOf,
  roomCounter,
  roomPage,
  runFromCommandLine,
  type Running,
  type StartOptions,
} from './rooms.js';

/** The app, and the stream's listener (for its `stats` and `close()`). */
export function fastifyApp(period = 1000): { app: FastifyInstance; events: SseListener } {
  // The handler sees node's request (`request.raw`): what the route found is handed over here.
  const roomOf = new WeakMap<object, string>();
  const events = sse((ctx) => roomCounter((ctx.req && roomOf.get(ctx.req)) ?? '', ctx, period), {
    retry: 1000,
  });
  const app = Fastify();
  // `app.close()` waits for every open connection: end the streams first, or it waits for ever.
  app.addHook('preClose', () => events.close());

  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(roomPage));
  app.get('/stats', () => events.stats);
  app.get<{ Params: { room: string } }>('/events/:room', (request, reply) => {
    roomOf.set(request.raw, request.params.room);
    // Fastify must not answer too: an async route would otherwise send an empty 200 before an
    // async handler's stream starts. Hooks after the handler (onSend) do not run, and headers
    // set with `reply.header()` are not sent: give them to `sse()` as `headers`.
    reply.hijack();
    events(request.raw, reply.raw);
  });
  return { app, events };
}

/** Listens; `app.close()` shuts down gracefully, through the `preClose` hook above. */
export async function start(options: StartOptions = {}): Promise<Running> {
  const { port = defaultPort(), host, period } = options;
  const { app, events } = fastifyApp(period);
  await app.listen(host === undefined ? { port } : { port, host });
  return { origin: originOf(app.server), server: app.server, events, close: () => app.close() };
}

if (isMain(import.meta.url)) await runFromCommandLine('fastify', start);
