import { binaries, describeRuntime } from './runtime.js';

// Bun maps rx-sse's `./x.js` imports to its `.ts` sources, so with the rx-sse-source condition
// the sample runs src/ as every other spec does, with no build step.
describeRuntime({
  name: 'Bun',
  ...binaries.bun(),
  args: () => ['--conditions=rx-sse-source', 'samples/runtimes/bun.ts'],
});
