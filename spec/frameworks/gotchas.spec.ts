// What goes wrong when rx-sse is wired into a framework the obvious way, and what the frameworks
// do around a stream: each test pins a caveat docs/frameworks.md states, so that a framework release that
// changes it shows up here.
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { interval, map, NEVER, type Observable } from 'rxjs';
import { sse, type SseEvent, type SseOptions } from 'rx-sse';
import { delay, fetchRaw, openStream, waitFor, type OpenStream } from '../support/server.js';

function counting(): Observable<SseEvent> {
  return interval(20).pipe(map((i) => ({ id: i, data: i })));
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('samples/frameworks: the caveats', () => {
  const servers: Server[] = [];
  const fastifies: FastifyInstance[] = [];
  const streams: OpenStream[] = [];

  async function listen(server: Server): Promise<string> {
    servers.push(server);
    if (!server.listening) {
      await new Promise<void>((resolve, reject) => {
        server.once('listening', resolve).once('error', reject);
      });
    }
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function listenFastify(app: FastifyInstance): Promise<string> {
    fastifies.push(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  async function open(url: string, headers?: Record<string, string>): Promise<OpenStream> {
    const stream = await openStream(url, headers);
    streams.push(stream);
    return stream;
  }

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    for (const server of [...servers, ...fastifies.map((app) => app.server)]) {
      server.closeAllConnections();
    }
    await Promise.all([
      ...servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            if (server.listening) server.close(() => resolve());
            else resolve();
          }),
      ),
      ...fastifies.splice(0).map((app) => app.close()),
    ]);
  });

  describe('Koa', () => {
    it('should end the stream at once with the body OK when ctx.respond is left alone', async () => {
      const events = sse(counting);
      const app = new Koa();
      app.use((ctx) => {
        events(ctx.req, ctx.res);
      });
      const origin = await listen(app.listen(0, '127.0.0.1'));
      const stream = await open(origin);
      expect(await settlesWithin(stream.ended, 1000), 'the response to end').to.equal(true);
      expect(stream.status).to.equal(200);
      expect(stream.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
      expect(stream.text).to.equal('OK');
      expect(events.stats).to.include({ opened: 1, open: 0, events: 0 });
    });

    it("should leave a handler's error to onError: Koa's error middleware never sees it", async () => {
      const app = new Koa();
      const caughtByMiddleware: unknown[] = [];
      const appErrors: unknown[] = [];
      const boom = new Error('boom');
      const events = sse(
        () => {
          throw boom;
        },
        {
          onError: (error) => {
            app.emit('error', error);
          },
        },
      );
      app.on('error', (error: unknown) => appErrors.push(error));
      app.use(async (_ctx, next) => {
        try {
          await next();
        } catch (error) {
          caughtByMiddleware.push(error);
        }
      });
      app.use((ctx) => {
        ctx.respond = false;
        events(ctx.req, ctx.res);
      });
      const origin = await listen(app.listen(0, '127.0.0.1'));
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(500);
      expect(res.body).to.equal('Internal Server Error');
      expect(caughtByMiddleware).to.deep.equal([]);
      expect(appErrors).to.deep.equal([boom]);
    });
  });

  describe('Fastify', () => {
    it('should send an empty 200 when an async route does not hijack and the handler is async', async () => {
      let handed: Promise<Observable<SseEvent>> | undefined;
      const events = sse(
        () =>
          (handed = (async () => {
            await delay(10);
            return counting();
          })()),
      );
      const app = Fastify();
      app.get('/', async (request, reply) => {
        events(request.raw, reply.raw);
      });
      const origin = await listenFastify(app);
      const res = await open(origin);
      expect(await settlesWithin(res.ended, 1000), 'the response to end').to.equal(true);
      expect(res.status).to.equal(200);
      expect(res.headers['content-length']).to.equal('0');
      expect(res.headers['content-type']).to.equal(undefined);
      expect(res.text).to.equal('');
      // rx-sse, subscribed to the handler's promise before this test, has taken its Observable.
      await handed;
      expect(events.stats.opened, 'streams opened').to.equal(0);
    });

    it('should not send reply.header() nor run onSend for a hijacked reply, but run onResponse at its end', async () => {
      const hooks: string[] = [];
      const events = sse(counting, { headers: { 'X-Through-Sse': 'yes' } });
      const app = Fastify();
      app.addHook('onRequest', async (_request, reply) => {
        reply.header('x-through-reply', 'yes');
      });
      app.addHook('onSend', async (_request, _reply, payload) => {
        hooks.push('onSend');
        return payload;
      });
      app.addHook('onResponse', (_request, _reply, done) => {
        hooks.push('onResponse');
        done();
      });
      app.addHook('onRequestAbort', (_request, done) => {
        hooks.push('onRequestAbort');
        done();
      });
      app.get('/', (request, reply) => {
        reply.hijack();
        events(request.raw, reply.raw);
      });
      const origin = await listenFastify(app);
      const left = await open(origin);
      await waitFor(() => left.events.length >= 2, 'two events');
      expect(left.headers['x-through-sse']).to.equal('yes');
      expect(left.headers).not.to.have.property('x-through-reply');
      expect(hooks).to.deep.equal([]);
      left.close();
      await waitFor(() => hooks.length === 1, 'a hook for the client that left');
      const ended = await open(origin);
      await waitFor(() => ended.events.length >= 1, 'an event');
      await events.close();
      await waitFor(() => hooks.length === 2, 'a hook for the stream the server ended');
      expect(hooks).to.deep.equal(['onRequestAbort', 'onResponse']);
    });

    it('should wait in app.close() for an open stream, without a preClose hook that closes it', async () => {
      const events = sse(counting);
      const app = Fastify();
      app.get('/', (request, reply) => {
        reply.hijack();
        events(request.raw, reply.raw);
      });
      const origin = await listenFastify(app);
      const stream = await open(origin);
      await waitFor(() => stream.events.length >= 1, 'an event');
      const closing = app.close();
      expect(await settlesWithin(closing, 500), 'app.close() alone').to.equal(false);
      await events.close();
      expect(await settlesWithin(closing, 1000), 'app.close() after events.close()').to.equal(true);
    });
  });

  describe('Express 5', () => {
    it('should see the path under the mount point in ctx.url, and pass other methods to next()', async () => {
      const seen: string[] = [];
      const events = sse((ctx) => {
        seen.push(ctx.url.pathname, (ctx.req as Request).originalUrl);
        return NEVER;
      });
      const app = express();
      app.use('/events', events);
      app.post('/events/:room', (req, res) => {
        res.status(201).json({ posted: req.params.room });
      });
      const origin = await listen(app.listen(0, '127.0.0.1'));
      await open(`${origin}/events/kitchen?x=1`);
      expect(seen).to.deep.equal(['/kitchen', '/events/kitchen?x=1']);
      const post = await fetch(`${origin}/events/kitchen`, { method: 'POST' });
      expect(post.status).to.equal(201);
      expect(await post.json()).to.deep.equal({ posted: 'kitchen' });
      expect(events.stats.opened).to.equal(1);
    });

    it("should not call Express's error middleware for a handler's error", async () => {
      const reported: unknown[] = [];
      const caught: unknown[] = [];
      const boom = new Error('boom');
      const options: SseOptions = { onError: (error) => void reported.push(error) };
      const app = express();
      app.get(
        '/',
        sse(() => {
          throw boom;
        }, options),
      );
      app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
        caught.push(error);
        res.status(500).end('from express');
      });
      const origin = await listen(app.listen(0, '127.0.0.1'));
      const res = await fetchRaw(origin);
      expect(res.status).to.equal(500);
      expect(res.body).to.equal('Internal Server Error');
      expect(caught).to.deep.equal([]);
      expect(reported).to.deep.equal([boom]);
    });

    it('should wait in server.close() for an open stream until the listener closes it', async () => {
      const events = sse(counting);
      const app = express();
      app.get('/', events);
      const server = app.listen(0, '127.0.0.1');
      const origin = await listen(server);
      const stream = await open(origin);
      await waitFor(() => stream.events.length >= 1, 'an event');
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      expect(await settlesWithin(closing, 500), 'server.close() alone').to.equal(false);
      await events.close();
      expect(await settlesWithin(closing, 1000), 'server.close() after events.close()').to.equal(
        true,
      );
    });
  });
});
