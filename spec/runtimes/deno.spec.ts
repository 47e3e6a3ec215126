import { binaries, describeRuntime } from './runtime.js';

// Deno reads rx-sse (the repo itself) and rxjs from node_modules through package.json, and never
// fetches anything: no lock file, only what node_modules holds. rx-sse-source points `rx-sse` at
// src/ and sloppy imports map its `./x.js` imports to the `.ts` files, so the sample runs the same
// sources as every other spec (not a dist/ that may be stale), with no build step.
describeRuntime({
  name: 'Deno',
  ...binaries.deno(),
  args: () => [
    'run',
    '--no-lock',
    '--node-modules-dir=manual',
    '--cached-only',
    '--allow-net=127.0.0.1',
    '--allow-env=PORT,HEARTBEAT_MS',
    '--conditions=rx-sse-source',
    '--sloppy-imports',
    'samples/runtimes/deno.ts',
  ],
});
