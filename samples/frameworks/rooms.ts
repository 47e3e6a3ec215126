// What the three framework samples share: a counter per room, the page that shows it, and the
// shape of a running sample. Only the wiring to each framework differs between them.
import type { Server } from 'node:http';
import { interval, map, type Observable } from 'rxjs';
import { HttpError, type SseContext, type SseEvent, type SseListener } from 'rx-sse';

const rooms = new Set(['lobby', 'kitchen', 'garden']);

/** Looks a room up as a real service would, asynchronously. */
async function roomExists(room: string): Promise<boolean> {
  await new Promise((resolve) => setImmediate(resolve));
  return rooms.has(room);
}

/**
 * An endless `counter` event every `period` ms, carrying the room and its number, the number as
 * its id: a client that reconnects with `Last-Event-ID` resumes after the last one it saw. A room
 * that does not exist is a `404`, found out asynchronously, as an auth check or a lookup would be.
 */
export async function roomCounter(
  room: string,
  ctx: SseContext,
  period = 1000,
): Promise<Observable<SseEvent>> {
  if (ctx.lastEventId !== undefined && !/^\d{1,15}$/.test(ctx.lastEventId)) {
    throw new HttpError(400, 'Last-Event-ID must be a counter value');
  }
  if (!(await roomExists(room))) throw new HttpError(404, `There is no room ${room}`);
  const first = ctx.lastEventId === undefined ? 0 : Number(ctx.lastEventId) + 1;
  return interval(period).pipe(
    map((i) => ({ event: 'counter', id: first + i, data: { room, n: first + i } })),
  );
}

/** A page that shows the counter of `/events/<room>`, for `?room=` (`lobby`, `kitchen`, `garden`). */
export const roomPage = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>rx-sse rooms</title></head>
  <body>
    <p><span id="room"></span>: <span id="counter">connecting…</span></p>
    <script>
      const room = new URLSearchParams(location.search).get('room') || 'lobby';
      document.getElementById('room').textContent = room;
      const source = new EventSource('/events/' + encodeURIComponent(room));
      source.addEventListener('counter', (e) => {
        document.getElementById('counter').textContent = JSON.parse(e.data).n;
      });
    </script>
  </body>
</html>
`;

/** Where and how a sample listens. */
export interface StartOptions {
  /** Defaults to `PORT`, else `8080`; `0` picks a free port. */
  port?: number;
  /** Defaults to every interface. */
  host?: string;
  /** Ms between two counter events. Defaults to `1000`. */
  period?: number;
}

/** A sample listening for requests. */
export interface Running {
  /** `http://<host>:<port>` */
  origin: string;
  server: Server;
  /** The stream's listener: its `stats`, and the `close()` that ends every stream. */
  events: SseListener;
  /** Graceful shutdown: ends the open streams, then stops the server. Resolves once it has. */
  close(): Promise<void>;
}

/** The port a sample listens on when none is given: `PORT`, else 8080. */
export function defaultPort(): number {
  return Number(process.env['PORT'] ?? 8080);
}

/** `http://<host>:<port>` for a listening server. */
export function originOf(server: Server): string {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  const { address: ip, family, port } = address;
  const host = ip === '::' || ip === '0.0.0.0' ? 'localhost' : family === 'IPv6' ? `[${ip}]` : ip;
  return `http://${host}:${port}`;
}

/**
 * Waits for `server` to listen, and returns it as a running sample whose `close()` shuts down
 * gracefully: the streams end first, since `server.close()` alone would wait for every open one.
 */
export async function running(server: Server, events: SseListener): Promise<Running> {
  if (!server.listening) {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve).once('error', reject);
    });
  }
  return {
    origin: originOf(server),
    server,
    events,
    close: async () => {
      await events.close();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      });
    },
  };
}

/** Runs a sample from the command line until Ctrl-C, then shuts it down gracefully. */
export async function runFromCommandLine(
  name: string,
  start: () => Promise<Running>,
): Promise<void> {
  const sample = await start();
  console.log(`${name}: ${sample.origin}/`);
  process.once('SIGINT', () => {
    void sample.close();
  });
}
