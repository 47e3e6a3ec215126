import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireProgram } from './support/program.js';
import { redisServerPath } from './support/redis.js';

const run = promisify(execFile);

// The multi-process benchmark is not a test: this runs it at a smoke size (seconds), only to prove
// it still works — servers on one Redis channel (and Redis's cost per reader), thousands of sockets' worth of machinery at a few
// hundred, resumable answers resumed on the other process — and that every scenario delivered
// everything (its load processes fail the run on any loss, duplicate or reorder).
describe('npm run bench:cluster (smoke size)', function () {
  this.timeout(120_000);

  it('runs every scenario, every connection gets every event, and prints its tables', async function () {
    // Pending where redis-server is missing, a failure under CI.
    requireProgram(this, redisServerPath, 'apt-get install redis-server');
    const script = fileURLToPath(new URL('../bench/cluster.ts', import.meta.url));
    const { stdout } = await run(
      process.execPath,
      ['--conditions=rx-sse-source', '--import', 'tsx', script, 'smoke'],
      { timeout: 110_000, maxBuffer: 1 << 24 },
    );
    // scale: 2 processes × 40 clients, every client got 40 events (20/s for 2 s), and
    // each server process held its two Redis connections whatever the clients.
    expect(stdout).to.contain('## Scale: server processes on one Redis channel');
    expect(stdout).to.match(/^\| 2 \| 40 \| [\d.]+k \|(?: [^|]* \|){6} 2 \/ \d+ \|/m);
    // readers: 1 and 3 processes, two Redis connections each, and a cost per reader.
    expect(stdout).to.contain("## Readers: Redis's CPU per event by server processes");
    expect(stdout).to.match(/^\| 1 \| 2 \|(?: [^|]* \|){3} 2 \/ \d+ \|$/m);
    expect(stdout).to.match(/^\| 3 \| 4 \|(?: [^|]* \|){3} 2 \/ \d+ \|$/m);
    expect(stdout).to.match(/-?[\d.]+ µs per reader per event/);
    // many: 300 streams opened over 3 servers, every one got the 5 events.
    expect(stdout).to.contain('## Many: 300 concurrent streams');
    expect(stdout).to.contain('| streams open | 300 (100 per server process) |');
    expect(stdout).to.match(
      /delivered to every connection in order exactly once \| 1,500 deliveries \|/,
    );
    expect(stdout).to.match(/^\| Redis connections per server process \| 2 \|$/m);
    // resumable: 20 answers, 10 of them resumed on the other process, one reader per process.
    expect(stdout).to.contain('## Resumable answers over 2 processes on one Redis');
    expect(stdout).to.match(
      /^\| 20 \| 10 \| [\d.]+k \|(?: [^|]* \|){4} 2 \| 2 \| \d+ \| [\d.]+ \|$/m,
    );
  });
});
