// rx-sse on Cloudflare Workers (workerd): the counter stream of counter.ts, as a module worker.
//
// workerd resolves no packages: bundle this file, rx-sse and rxjs inlined, next to worker.capnp
// (which sets the compatibility date that brings nodejs_compat), and serve that:
//   mkdir -p /tmp/rx-sse-worker && cp samples/runtimes/worker.capnp /tmp/rx-sse-worker/
//   npx esbuild samples/runtimes/worker.ts --bundle --format=esm --platform=neutral \
//     --main-fields=module,main --external:'node:*' --outfile=/tmp/rx-sse-worker/worker.js
//   workerd serve /tmp/rx-sse-worker/worker.capnp      (HEARTBEAT_MS, default 15000)
// Then: curl -N 'http://127.0.0.1:8080/events?token=t'
// (In this repo, workerd is node_modules/@cloudflare/workerd-linux-64/bin/workerd, and esbuild's
// --conditions=rx-sse-source bundles rx-sse's src/ instead of dist/. wrangler bundles by itself.)
//
// workerd notices that a client left only when a write to it fails: a stream whose client is
// gone is torn down at its next event or heartbeat, so the heartbeat bounds how long it lives.
import { sse } from 'rx-sse';
import { counter, heartbeatFrom, routes, type FetchHandler } from './counter.js';

/** The worker's bindings (worker.capnp): null where the environment variable is not set. */
interface Env {
  HEARTBEAT_MS?: string | null;
}

let app: FetchHandler | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    // A worker sees its bindings with its first request: the handler is made then, once.
    if (app === undefined) {
      const heartbeat = heartbeatFrom(env.HEARTBEAT_MS ?? undefined);
      app = routes(sse(counter, { heartbeat }).fetch);
    }
    return app(request);
  },
};
