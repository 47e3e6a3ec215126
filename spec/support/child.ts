import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A fixture server in its own node process, spoken to over IPC. */
export interface Child {
  process: ChildProcess;
  port: number;
  /** Sends a command and resolves with the reply's value. */
  ask<T>(message: { cmd: string } & Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

export async function startChild(fixture: string, args: unknown): Promise<Child> {
  const path = fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url));
  const child = fork(path, [JSON.stringify(args)], {
    execArgv: ['--import', 'tsx', '--conditions=rx-sse-source', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const replies = new Map<string, (value: unknown) => void>();
  child.on('message', (message: { cmd: string; value: unknown }) => {
    replies.get(message.cmd)?.(message.value);
    replies.delete(message.cmd);
  });
  const reply = (cmd: string) => new Promise<unknown>((resolve) => replies.set(cmd, resolve));
  const port = (await reply('ready')) as number;
  return {
    process: child,
    port,
    ask: <T>(message: { cmd: string } & Record<string, unknown>) => {
      const answer = reply(message.cmd);
      child.send(message);
      return answer as Promise<T>;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
