// Run by memory.spec.ts in its own process (with --expose-gc): fills a store with answers, lets
// them expire, and prints what was held and what is left. It never calls close(): the process
// must still exit on its own, with a long-lived store's expiry timer pending.
import { randomBytes } from 'node:crypto';
import { of } from 'rxjs';
import { createResumableStreams } from 'rx-sse/resumable';
import { retained } from '../support/retained.js';

const ttl = 300;
const answers = createResumableStreams({ ttl, maxBytesPerStream: 10_000_000 });
// 200 answers of 10 events of 10 kB each: random hex, flat strings that share nothing. Made
// first, so that the answers all start (and end) within a few ms, well inside the ttl.
const producers = Array.from({ length: 200 }, () =>
  of(...Array.from({ length: 10 }, () => ({ data: randomBytes(5000).toString('hex') }))),
);
const before = retained();
const ids = producers.splice(0).map((producer) => answers.start(producer));
const held = retained() - before;
await new Promise((resolve) => setTimeout(resolve, ttl * 3));
// Nothing asked of the store meanwhile: only its timer can have let the answers go.
const left = retained() - before;

const lingering = createResumableStreams({ ttl: 600_000 });
lingering.start(of({ data: 'kept for ten minutes' }));
console.log(JSON.stringify({ held, left, size: answers.size, has: answers.has(ids[0] ?? '') }));
