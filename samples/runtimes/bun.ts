// rx-sse on Bun: the counter stream of counter.ts, served by Bun.serve through the fetch door.
//
// Run: bun samples/runtimes/bun.ts            (PORT, default 8080; HEARTBEAT_MS, default 15000)
// Then: curl -N 'http://127.0.0.1:8080/events?token=t'
//
// In this repo `rx-sse` is dist/ (npm run build), or, with `bun --conditions=rx-sse-source`,
// rx-sse's TypeScript sources: Bun maps the sources' `./x.js` imports to their `.ts` files itself.
import { sse } from 'rx-sse';
import { counter, heartbeatFrom, routes } from './counter.js';

/** The part of Bun's API this sample uses (the repo does not install bun's types). */
declare const Bun: {
  env: Record<string, string | undefined>;
  serve(options: {
    port: number;
    hostname: string;
    idleTimeout: number;
    fetch: (request: Request) => Response | Promise<Response>;
  }): { url: URL };
};

const heartbeat = heartbeatFrom(Bun.env['HEARTBEAT_MS']);
const listener = sse(counter, { heartbeat });

const server = Bun.serve({
  port: Number(Bun.env['PORT'] ?? 8080),
  hostname: '127.0.0.1',
  // Bun cuts a connection after idleTimeout seconds (default 10) without traffic: more than the
  // heartbeat (default 15 s), whose comments count as traffic, or a quiet stream is cut.
  idleTimeout: 60,
  fetch: routes(listener.fetch),
});
console.log(`listening on ${server.url.origin}`);
