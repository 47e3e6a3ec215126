import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const child = fileURLToPath(new URL('memoryChild.ts', import.meta.url));

describe('rx-sse/resumable memory', function () {
  this.timeout(30_000);

  it('should release an expired answer by its timer, and never keep the process alive', async () => {
    const started = Date.now();
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--conditions=rx-sse-source', '--expose-gc', child],
      { timeout: 20_000 },
    );
    // Exited by itself with a ten-minute expiry pending: the timer is unref'd.
    const took = Date.now() - started;
    expect(took).to.be.below(15_000);
    const { held, left, size, has } = JSON.parse(stdout) as Record<string, number | boolean>;
    // 200 answers of 10 events of 10 kB: their frames, ~20 MB, while held; after expiry those and
    // the events' own data are gone (measured: ~21 MB held, ~-19.8 MB left, on node 20).
    expect(held).to.be.above(19_000_000);
    expect(left).to.be.below(1_000_000);
    expect([size, has]).to.deep.equal([0, false]);
  });
});
