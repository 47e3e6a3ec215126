// rx-sse on Deno: the counter stream of counter.ts, served by Deno.serve through the fetch door.
//
// Run: deno run --allow-net=127.0.0.1 --allow-env=PORT,HEARTBEAT_MS samples/runtimes/deno.ts
//      (PORT, default 8080; HEARTBEAT_MS, default 15000)
// Then: curl -N 'http://127.0.0.1:8080/events?token=t'
//
// Deno reads `rx-sse` and `rxjs` from node_modules through package.json. In this repo,
// `--conditions=rx-sse-source --sloppy-imports` runs rx-sse's TypeScript sources instead of
// dist/: sloppy imports map the sources' `./x.js` imports to their `.ts` files.
import { toResponse } from 'rx-sse';
import { counter, heartbeatFrom, routes } from './counter.js';

/** The part of Deno's API this sample uses (the repo does not install Deno's types). */
declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): unknown;
};

const heartbeat = heartbeatFrom(Deno.env.get('HEARTBEAT_MS'));
const events = (request: Request) => toResponse(counter, { request, heartbeat });

const hostname = '127.0.0.1';
Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 8080),
    hostname,
    onListen: ({ port }) => {
      console.log(`listening on http://${hostname}:${port}`);
    },
  },
  routes(events),
);
