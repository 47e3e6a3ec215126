import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './port.js';

/** A program a spec starts: `command args...` in `cwd`, with `env` over the spec's environment. */
export interface Program {
  command: string;
  args: string[];
  cwd: string;
  env?: Record<string, string>;
}

/** How a program that ran to its end ended, and everything it wrote. */
export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs a program to its end. Past `timeout` ms it is killed and the promise rejects, with what it
 * wrote so far.
 */
export async function runToEnd(program: Program, timeout: number): Promise<Ended> {
  const { child, output } = start(program, {});
  const ended = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
  const [code, signal] = await ended.finally(() => clearTimeout(timer));
  if (signal === 'SIGKILL') {
    throw new Error(
      `${commandLine(program)} did not end within ${String(timeout)} ms${tail(output())}`,
    );
  }
  return { code, signal, output: output() };
}

/**
 * Starts a server program with a free port in `PORT`, waits until it accepts connections, GETs
 * `path` with fetch and reads until one whole event with a `data` line has arrived; then ends the
 * program by its pid. Resolves with the event's text; rejects, with what the program wrote, when
 * it exits first, answers anything but a `200` `text/event-stream`, or sends no such event within
 * 20 s.
 */
export async function serveOneEvent(program: Program, path: string): Promise<string> {
  const port = await freePort();
  const { child, output } = start(program, { PORT: String(port) });
  const fail = (message: string, cause?: unknown) =>
    new Error(`${commandLine(program)}: ${message}${tail(output())}`, { cause });
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(), 20_000);
  try {
    await accepting(child, port, controller.signal).catch((error: unknown) => {
      throw fail(error instanceof Error ? error.message : String(error), error);
    });
    const url = `http://127.0.0.1:${String(port)}${path}`;
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream' },
      signal: controller.signal,
    }).catch((error: unknown) => {
      throw fail(`GET ${path} failed`, error);
    });
    const type = response.headers.get('content-type') ?? '';
    if (response.status !== 200 || !type.startsWith('text/event-stream')) {
      throw fail(`GET ${path} answered ${String(response.status)} ${type}`);
    }
    return await firstEvent(response, controller.signal).catch((error: unknown) => {
      throw fail(`GET ${path} sent no whole event with a data line`, error);
    });
  } finally {
    clearTimeout(deadline);
    controller.abort();
    await stop(child);
  }
}

function start(program: Program, env: Record<string, string>) {
  const child = spawn(program.command, program.args, {
    cwd: program.cwd,
    env: { ...process.env, ...program.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const append = (chunk: Buffer) => {
    text += chunk.toString('utf8');
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  return { child, output: () => text };
}

/** Resolves once something accepts connections on the port; rejects if the child exits first. */
async function accepting(child: ChildProcess, port: number, signal: AbortSignal): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${String(child.exitCode ?? child.signalCode)}) before listening`);
    }
    if (signal.aborted) throw new Error('did not listen on PORT within 20 s');
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    await sleep(50);
  }
}

/** The first whole event of a response that has a `data` line, without its trailing blank line. */
async function firstEvent(response: Response, signal: AbortSignal): Promise<string> {
  if (response.body === null) throw new Error('no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`the stream ended after ${JSON.stringify(text)}`);
      text += value.replace(/\r\n?/g, '\n');
      const events = text.split('\n\n').slice(0, -1);
      const event = events.find((e) => e.split('\n').some((line) => /^data(:|$)/.test(line)));
      if (event !== undefined) return event;
      if (signal.aborted) throw new Error(`only ${JSON.stringify(text)} arrived`);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Ends a child by its pid: SIGTERM, then SIGKILL if it has not exited 5 s later. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited.finally(() => clearTimeout(timer));
}

function commandLine(program: Program): string {
  return [program.command, ...program.args].join(' ');
}

function tail(output: string): string {
  return output === '' ? '' : `\n--- it wrote:\n${output.slice(-4000)}`;
}
