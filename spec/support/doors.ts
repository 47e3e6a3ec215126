import { createAdaptorServer } from '@hono/node-server';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { SseListener } from 'rx-sse';
import { listen, startServer, type TestServer } from './server.js';

/** How a listener is served: node:http's request listener, or its `fetch` method for fetch runtimes. */
export type Door = 'node' | 'fetch';

/** Both doors of a listener: every behaviour that is not node's alone runs through each. */
export const doors: readonly Door[] = ['node', 'fetch'];

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

function startFetch(listener: SseListener): Promise<TestServer> {
  // Node's own Request and Response, not the adaptor's lighter ones installed on globalThis.
  return listen(
    createAdaptorServer({ fetch: listener.fetch, overrideGlobalObjects: false }) as Server,
  );
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
