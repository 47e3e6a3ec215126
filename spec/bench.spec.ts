import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { redisServerPath } from './support/redis.js';
import { existsSync } from 'node:fs';

const run = promisify(execFile);

// The benchmark is not a test: this runs it at a smoke size (seconds), only to prove it still
// works — every server mode starts (rx-sse's and every peer's: better-sse, NestJS, Hono), every
// client gets every event in order, the tables print.
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
      '## Summary',
    ]) {
      expect(stdout, heading).to.contain(heading);
    }
    // Each server delivered every event of the fan-out (the load client fails the run otherwise).
    for (const mode of [
      'naive',
      'joined',
      'unchunked',
      'sse',
      'channel',
      'better-sse',
      'nest',
      'hono',
    ]) {
      expect(stdout, mode).to.match(new RegExp(`^\\| ${mode} \\| \\d+k \\|`, 'm'));
    }
    // Every server sends the same bytes per event as the naive loop, give or take the chunked
    // framing of its writes; better-sse always adds `event:message\n` and drops the spaces after
    // `id:` and `data:`, 12 bytes more.
    const bytes = [...stdout.matchAll(/^\| ([\w-]+) \|(?: [^|]* \|){8} ([\d.]+) \|$/gm)].map(
      ([, mode, perEvent]) => [mode, Number(perEvent)] as const,
    );
    expect(bytes.map(([mode]) => mode)).to.include.members(['naive', 'nest', 'hono', 'better-sse']);
    const naive = bytes.find(([mode]) => mode === 'naive')?.[1] ?? NaN;
    for (const [mode, perEvent] of bytes) {
      const extra = mode === 'better-sse' ? 12 : 0;
      expect(Math.abs(perEvent - naive - extra), `${mode}: ${perEvent} B per event`).to.be.below(8);
    }
    // rx-sse's idle streams heard a heartbeat every period (400 ms at the smoke size, watched
    // for three): without one, the longest silence would be the whole watch, 800 ms late.
    const lateness = /^\| sse \| [\d.]+ KB \|(?: [^|]* \|){3} (-?\d+) ms \|/m.exec(stdout)?.[1];
    expect(lateness, 'the sse row of the idle table').to.be.a('string');
    expect(Number(lateness)).to.be.below(200);
    // With redis-server here (CI installs it) the Redis channel runs too.
    if (existsSync(redisServerPath)) expect(stdout).to.match(/^\| redis \| \d+k \|/m);
  });
});
