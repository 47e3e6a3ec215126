// rx-sse on Deno: the counter stream of counter.ts, served by Deno.serve through the fetch door.
//
// Run: deno run --sloppy-imports --allow-net=127.0.0.1 --allow-env=PORT,HEARTBEAT_MS \
//        samples/runtimes/deno.ts           (PORT, default 8080; HEARTBEAT_MS, default 15000)
// (--sloppy-imports lets `./counter.js` name counter.ts, as TypeScript under node wants it.)
// Then: curl -N 'http://127.0.0.1:8080/events?token=t'
//
// Deno reads `rx-sse` and `rxjs` from node_modules through package.json. In this repo `rx-sse` is
// dist/ (npm run build), or, with `--conditions=rx-sse-source` too, rx-sse's TypeScript sources,
// whose `./x.js` imports sloppy imports map to `.ts` files the same way.
import { sse } from 'rx-sse';
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
const listener = sse(counter, { heartbeat });

const hostname = '127.0.0.1';
Deno.serve(
  {
    port: Number(Deno.env.get('PORT') ?? 8080),
    hostname,
    onListen: ({ port }) => {
      console.log(`listening on http://${hostname}:${port}`);
    },
  },
  routes(listener.fetch),
);
