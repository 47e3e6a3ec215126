// The benchmarks' child processes — servers and load clients — each started from a script beside
// this file and asked over IPC: a command `{ cmd, ...extra }` is answered `{ cmd, value }`; a
// child may also say `failed` (with why) or `complete` unasked.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Every child process still running, so that a watchdog can stop them, by their pids. */
export const children = new Set<ChildProcess>();

export interface Child {
  pid: number;
  /** What the child said when it was ready (a server: its port). */
  ready: unknown;
  ask: (cmd: string, extra?: object) => Promise<unknown>;
  /** Resolves at the child's next unasked `complete`. */
  completed: () => Promise<void>;
  /** Rejects when the child fails or exits: race it against anything that waits on the child. */
  failure: Promise<never>;
  stop: () => Promise<void>;
}

/**
 * Forks `script` (a path relative to this file) with `argv`, run through tsx with `--expose-gc`
 * (and this process's `--conditions`, so a run from the sources stays one); `what` names it in
 * errors. `profile`: a directory where it writes a CPU profile when it exits.
 */
export async function startChild(
  script: string,
  argv: string[],
  what: string,
  profile?: string,
): Promise<Child> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), argv, {
    // rx-sse as users run it: dist/, compiled by tsc (`npm run bench` builds it first); the smoke
    // specs pass --conditions=rx-sse-source to run it from the sources. Run through tsx, the
    // sources carry a name helper per closure (~256 B each), which would inflate memory figures.
    execArgv: [
      '--import',
      'tsx',
      '--expose-gc',
      ...process.execArgv.filter((arg) => arg.startsWith('--conditions')),
      // Open it in Chrome's DevTools.
      ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  const waiting = new Map<string, (value: unknown) => void>();
  let onComplete: (() => void) | undefined;
  let stopping = false;
  const failure = new Promise<never>((_, reject) => {
    child.on('message', (message: { cmd: string; value: unknown }) => {
      if (message.cmd === 'failed') reject(new Error(`${what}: ${String(message.value)}`));
      else if (message.cmd === 'complete') onComplete?.();
      else waiting.get(message.cmd)?.(message.value);
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (!stopping) reject(new Error(`${what} exited with ${code ?? signal ?? '?'}`));
    });
  });
  failure.catch(() => undefined);
  const ask = (cmd: string, extra: object = {}): Promise<unknown> =>
    Promise.race([
      new Promise<unknown>((resolve) => {
        waiting.set(cmd, resolve);
        if (cmd !== 'ready') child.send({ cmd, ...extra });
      }),
      failure,
    ]);
  const ready = await ask('ready');
  return {
    pid: child.pid ?? 0,
    ready,
    ask,
    completed: () =>
      Promise.race([new Promise<void>((resolve) => (onComplete = resolve)), failure]),
    failure,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

/** Lets a child exit by itself (it does when disconnected), and kills it, by its pid, if it hangs. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
  });
}
