import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { redisServerPath } from './support/redis.js';
import { existsSync } from 'node:fs';

const run = promisify(execFile);

// The benchmark is not a test: this runs it at a smoke size (seconds), only to prove it still
// works — every server mode starts, every client gets every event in order, the tables print.
describe('npm run bench (smoke size)', function () {
  this.timeout(180_000);

  it('runs every scenario and prints its tables', async function () {
    const script = fileURLToPath(new URL('../bench/run.ts', import.meta.url));
    const { stdout } = await run(
      process.execPath,
      ['--conditions=rx-sse-source', '--import', 'tsx', script, 'smoke'],
      { timeout: 170_000, maxBuffer: 1 << 24 },
    );
    for (const heading of [
      '## Fan-out: 20 clients × 50 events',
      '## Fan-out by number of clients',
      '## Idle: 50 open streams',
      '## Latency: 10 clients',
      '## Encoder',
    ]) {
      expect(stdout, heading).to.contain(heading);
    }
    for (const mode of ['naive', 'joined', 'sse', 'channel', 'better-sse']) {
      expect(stdout, mode).to.match(new RegExp(`^\\| ${mode} \\| \\d+k \\|`, 'm'));
    }
    // With redis-server here (CI installs it) the Redis channel runs too.
    if (existsSync(redisServerPath)) expect(stdout).to.match(/^\| redis \| \d+k \|/m);
  });
});
