import { describeRuntime, hasAvx2, installed } from './runtime.js';

// The pinned dev dependency is Bun's AVX2 build; a CPU without AVX2 needs the baseline one.
const [bunPackage, hint] = hasAvx2()
  ? ['@oven/bun-linux-x64', 'npm install (a pinned dev dependency)']
  : [
      '@oven/bun-linux-x64-baseline',
      'no AVX2: npm install --no-save @oven/bun-linux-x64-baseline@1.4.5',
    ];

// Bun maps rx-sse's `./x.js` imports to its `.ts` sources, so the sample runs src/ as it is.
describeRuntime({
  name: 'Bun',
  program: installed(`${bunPackage}/bin/bun`),
  installHint: hint,
  args: () => ['--conditions=rx-sse-source', 'samples/runtimes/bun.ts'],
});
