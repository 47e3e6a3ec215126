// What the benchmarks share: their arguments (`smoke`, `name=value`), their reports' lines,
// printed and saved as they come, and a line on how noisy the machine was while a scenario ran.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A benchmark's command line: `smoke`, and `name=value` pairs. */
export function benchArgs(argv = process.argv.slice(2)): {
  argv: string[];
  smoke: boolean;
  args: Record<string, string>;
  /** The number given as `name=`, else `normal` (`tiny` at the smoke size). */
  num: (name: string, normal: number, tiny: number) => number;
} {
  const smoke = argv.includes('smoke');
  const args = Object.fromEntries(
    argv.filter((arg) => arg.includes('=')).map((arg) => arg.split('=') as [string, string]),
  );
  const num = (name: string, normal: number, tiny: number): number =>
    Number(args[name] ?? (smoke ? tiny : normal));
  return { argv, smoke, args, num };
}

/** The commit rx-sse was built from, and whether src/ had changes not committed yet. */
export function revision(): string {
  try {
    const git = (...argv: string[]): string =>
      execFileSync('git', argv, { cwd: fileURLToPath(new URL('..', import.meta.url)) })
        .toString()
        .trim();
    const changed = git('status', '--porcelain', '--', 'src') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${changed ? ' with changes to src/ not yet committed' : ''}`;
  } catch {
    return 'no git';
  }
}

/** How noisy the machine was over a scenario: shares of all CPU time, and the load average. */
export interface Noise {
  /** Stolen by the hypervisor. */
  steal: number;
  /** Not idle: this benchmark's processes included. */
  busy: number;
  load: number;
  /** Seconds the scenario took. */
  seconds: number;
}

/** The machine's CPU times since boot, from /proc/stat (user, nice, system, idle, iowait, …). */
function cpuTimes(): number[] {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  return line.trim().split(/\s+/).slice(1).map(Number);
}

/** Starts measuring; the function returned says how noisy it was since. */
export function measureNoise(): () => Noise {
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  if (!existsSync('/proc/stat'))
    return () => ({ steal: NaN, busy: NaN, load: loadavg()[0] ?? NaN, seconds: seconds() });
  const before = cpuTimes();
  return () => {
    const delta = cpuTimes().map((value, i) => value - (before[i] ?? 0));
    const total = delta.reduce((a, b) => a + b, 0) || 1;
    const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
    return {
      steal: (delta[7] ?? 0) / total,
      busy: (total - idle) / total,
      load: loadavg()[0] ?? NaN,
      seconds: seconds(),
    };
  };
}

export const noiseLine = (seen: Noise): string =>
  `Noise: CPU steal ${(seen.steal * 100).toFixed(1)} %, machine busy ${(seen.busy * 100).toFixed(0)} % (this benchmark included), load ${seen.load.toFixed(2)}; the scenario took ${Math.round(seen.seconds)} s.`;

/** A report in Markdown: each line printed as it is said, and `file` ('' for none) rewritten on `save`. */
export function createReport(file: string): {
  say: (line?: string) => void;
  save: () => void;
} {
  const lines: string[] = [];
  return {
    say: (line = '') => {
      lines.push(line);
      console.log(line);
    },
    // What has been measured so far: a scenario that fails later loses only itself.
    save: () => {
      if (file === '') return;
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${lines.join('\n')}\n`);
    },
  };
}
