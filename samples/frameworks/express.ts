// rx-sse in Express 5: the listener is the route handler, as any middleware is. Express's own
// routes (the page, a JSON route) live beside it, and `:room` comes from Express's router.
//
// Run: node --conditions=rx-sse-source --import tsx samples/frameworks/express.ts
// Then open http://localhost:8080/?room=kitchen or: curl -N http://localhost:8080/events/kitchen
import express, { type Express, type Request } from 'express';
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
export function expressApp(period = 1000): { app: Express; events: SseListener } {
  // `ctx.req` is Express's own `req`: the route's params are there, and anything earlier
  // middleware put on it (a session, a user).
  const events = sse(
    (ctx) => roomCounter((ctx.req as Request<{ room: string }>).params.room, ctx, period),
    { retry: 1000 },
  );
  const app = express();
  app.get('/', (_req, res) => {
    res.type('html').send(roomPage);
  });
  // `app.get` also routes HEAD, which rx-sse answers as a GET without a body. Mounted with
  // `app.use` or `app.all` instead, rx-sse hands other methods on with `next()`.
  app.get('/events/:room', events);
  app.get('/stats', (_req, res) => {
    res.json(events.stats);
  });
  return { app, events };
}

/** Listens, and shuts down gracefully: `server.close()` alone would wait for every open stream. */
export function start(options: StartOptions = {}): Promise<Running> {
  const { port = defaultPort(), host, period } = options;
  const { app, events } = expressApp(period);
  const server = host === undefined ? app.listen(port) : app.listen(port, host);
  return running(server, events);
}

if (isMain(import.meta.url)) await runFromCommandLine('express', start);
