import { createClient, type RedisClientType } from 'redis';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './port.js';
import { requireProgram } from './program.js';

export const redisServerPath = '/usr/bin/redis-server';

/** A real redis-server on 127.0.0.1 and a free port, started by a spec and stopped after it. */
export interface TestRedis {
  url: string;
  port: number;
  /** SIGKILLs the server: no shutdown, no final save, the sockets cut. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data directory (what was fsynced survives). */
  restart(): Promise<void>;
  /** SIGSTOP: the server stays up but answers nothing, until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its data. */
  stop(): Promise<void>;
}

/**
 * Starts redis-server with every write fsynced to an append-only file, so that a kill -9 loses
 * nothing Redis acknowledged. In a spec (given its context), pending (loudly) where redis-server
 * is missing, and a failure under CI; outside one (a benchmark), spawning it fails.
 */
export async function startRedis(context?: Mocha.Context): Promise<TestRedis> {
  if (context !== undefined)
    requireProgram(context, redisServerPath, 'apt-get install redis-server');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rx-sse-redis-'));
  let server: ChildProcess | undefined;
  const start = async () => {
    const child = spawn(
      redisServerPath,
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntilListening(port, child, () => output);
  };
  const kill = async () => {
    server?.kill('SIGCONT'); // a paused server would not die of SIGKILL any faster, but be sure
    const child = server;
    server = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    port,
    kill,
    restart: start,
    pause: () => server?.kill('SIGSTOP'),
    resume: () => server?.kill('SIGCONT'),
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilListening(
  port: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`redis-server exited with ${String(child.exitCode)}: ${output()}`);
    }
    if (await answers(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not start: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether a PING on the port gets +PONG (redis is listening and has loaded its data). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      resolve(reply.startsWith('+PONG'));
    });
    socket.on('error', () => resolve(false));
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** A node-redis client connected to `url`; its errors are the spec's to observe, not to crash on. */
export async function connectClient(url: string): Promise<RedisClientType> {
  const client = createClient({ url }) as RedisClientType;
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
