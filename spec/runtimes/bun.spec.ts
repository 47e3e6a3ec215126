import { readFileSync } from 'node:fs';
import { describeRuntime, hasAvx2, installed, root } from './runtime.js';

// The pinned dev dependency is Bun's AVX2 build; a CPU without AVX2 needs the baseline one.
const pinned = (
  JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
    devDependencies: Record<string, string>;
  }
).devDependencies['@oven/bun-linux-x64']!;
const [bunPackage, hint] = hasAvx2()
  ? ['@oven/bun-linux-x64', 'npm install: a pinned dev dependency']
  : [
      '@oven/bun-linux-x64-baseline',
      `no AVX2: npm install --no-save @oven/bun-linux-x64-baseline@${pinned}`,
    ];

// Bun maps rx-sse's `./x.js` imports to its `.ts` sources, so with the rx-sse-source condition
// the sample runs src/ as every other spec does, with no build step.
describeRuntime({
  name: 'Bun',
  program: installed(`${bunPackage}/bin/bun`),
  installHint: hint,
  args: () => ['--conditions=rx-sse-source', 'samples/runtimes/bun.ts'],
});
