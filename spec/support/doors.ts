import { createAdaptorServer } from '@hono/node-server';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NEVER } from 'rxjs';
import { sse, type SseListener } from 'rx-sse';
import { startServer, type TestServer } from './server.js';

/** How a listener is served: node:http's request listener, or its `fetch` method for fetch runtimes. */
export type Door = 'node' | 'fetch';

/** The doors this build has: 'fetch' once `sse()`'s listener has a `fetch` method. */
export const doors: readonly Door[] =
  typeof (sse(() => NEVER) as { fetch?: unknown }).fetch === 'function'
    ? ['node', 'fetch']
    : ['node'];

/** A {@link TestServer} serving one listener through a door. */
export interface DoorServer extends TestServer {
  /**
   * Resolves once every response this server has begun so far has closed (finished, or cut with
   * its connection), and what reacted to that close, synchronously or in microtasks, has run: each
   * 'close' is followed by a `setImmediate`, which comes after the microtasks it queued.
   */
  responsesClosed(): Promise<void>;
}

/**
 * Serves `listener` on 127.0.0.1 and an ephemeral port through `door`: node:http's
 * `createServer(listener)`, or @hono/node-server's `createAdaptorServer({ fetch: listener.fetch })`.
 */
export async function startDoor(door: Door, listener: SseListener): Promise<DoorServer> {
  const served = door === 'node' ? await startServer(listener) : await startFetch(listener);
  return { ...served, responsesClosed: trackResponses(served.server) };
}

async function startFetch(listener: SseListener): Promise<TestServer> {
  const { fetch } = listener as { fetch?: unknown };
  if (typeof fetch !== 'function') throw new Error('this build has no fetch door: no fetch()');
  // Node's own Request and Response, not the adaptor's lighter ones installed on globalThis.
  const server = createAdaptorServer({
    fetch: (request: Request) =>
      (fetch as (request: Request) => Promise<Response>).call(listener, request),
    overrideGlobalObjects: false,
  }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Counts the responses of `server` still open; see {@link DoorServer.responsesClosed}. */
function trackResponses(server: Server): () => Promise<void> {
  let open = 0;
  const waiting: (() => void)[] = [];
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    open++;
    res.once('close', () =>
      setImmediate(() => {
        if (--open === 0) for (const resolve of waiting.splice(0)) resolve();
      }),
    );
  });
  return () =>
    new Promise<void>((resolve) => {
      if (open === 0) resolve();
      else waiting.push(resolve);
    });
}
