import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { binaries, describeRuntime, root } from './runtime.js';

// workerd resolves no packages: worker.ts is bundled with rx-sse (its src/, through the
// rx-sse-source condition, as every other spec runs it) and rxjs inlined. `node:` modules stay
// imports (node:zlib, for the node door's gzip), which workerd provides under nodejs_compat (see
// worker.capnp). workerd notices a client left only when a write fails, so the teardown spec
// passes here at the next heartbeat (HEARTBEAT_MS=200), not at once as on Bun and Deno.
let dir: string | undefined;

describeRuntime({
  name: 'workerd',
  ...binaries.workerd(),
  prepare: async () => {
    dir = mkdtempSync(join(tmpdir(), 'rx-sse-workerd-'));
    await build({
      absWorkingDir: root,
      entryPoints: ['samples/runtimes/worker.ts'],
      outfile: join(dir, 'worker.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      mainFields: ['module', 'main'],
      conditions: ['rx-sse-source'],
      external: ['node:*'],
      logLevel: 'silent',
    });
    copyFileSync(join(root, 'samples/runtimes/worker.capnp'), join(dir, 'worker.capnp'));
  },
  args: (port) => ['serve', join(dir!, 'worker.capnp'), '--socket-addr', `http=127.0.0.1:${port}`],
  cleanup: () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
});
