import { get, type IncomingMessage } from 'node:http';
import { sse, type SseHandler, type SseListener, type SseOptions } from 'rx-sse';
import { startDoor, type Door, type DoorServer } from './doors.js';
import { useFixture, type Fixture } from './fixture.js';
import { waitFor } from './server.js';

/** The per-test state of a stream spec served through one door. */
export interface DoorFixture {
  /** The server to close after the test, and console.error stubbed. */
  t: Fixture;
  /** Serves `sse(handler, options)` through the door for this test; resolves with its origin. */
  serve: (handler: SseHandler, options?: SseOptions) => Promise<string>;
  /** Serves `listener` through the door for this test. */
  listen: (listener: SseListener) => Promise<DoorServer>;
  /** This test's server's {@link DoorServer.responsesClosed}. */
  responsesClosed: () => Promise<void>;
}

/** Registers the hooks of a {@link DoorFixture} in the current `describe` and returns it. */
export function useDoor(door: Door): DoorFixture {
  const t = useFixture();
  let server: DoorServer | undefined;
  afterEach(() => {
    server = undefined;
  });
  const listen = async (listener: SseListener): Promise<DoorServer> => {
    server = await startDoor(door, listener);
    t.server = server;
    return server;
  };
  return {
    t,
    listen,
    serve: async (handler, options) => (await listen(sse(handler, options))).origin,
    responsesClosed: () => {
      if (server === undefined) throw new Error('nothing is served yet');
      return server.responsesClosed();
    },
  };
}

/** Opens a raw GET and resolves with the response as soon as its head arrives. */
export function open(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, resolve).on('error', reject);
  });
}

/**
 * Serves a handler that waits; the client leaves; once the server has handled that, the handler
 * rejects with `error`. Resolves once rx-sse has taken the rejection: it reacts to the promise
 * the handler returned before this function does, having subscribed to it first.
 */
export async function rejectAfterTheClientLeft(d: DoorFixture, error: unknown): Promise<void> {
  let reject: (error: unknown) => void = () => undefined;
  let handed: Promise<never> | undefined;
  const origin = await d.serve(() => (handed = new Promise<never>((_, r) => (reject = r))));
  const req = get(origin).on('error', () => undefined);
  await waitFor(() => handed !== undefined, 'the handler');
  req.destroy();
  await d.responsesClosed();
  reject(error);
  await handed!.catch(() => undefined);
}
