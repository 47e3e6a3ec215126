// What every runtime spec proves of its sample server (samples/runtimes/*), started as a real
// process of its runtime on 127.0.0.1 and read by real clients over TCP.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { freePort } from '../support/port.js';
import { requireProgram } from '../support/program.js';

/** The repo's root: the samples run from it, so `rx-sse` and `rxjs` resolve to its node_modules. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** A runtime binary that npm installed into node_modules (a pinned dev dependency). */
function installed(path: string): string {
  return fileURLToPath(new URL(`../../node_modules/${path}`, import.meta.url));
}

/** How long a runtime may take to start, answer, or exit before the spec gives up on it. */
const patience = 10_000;
/** The heartbeat the samples run with (HEARTBEAT_MS): short, so an idle stream shows one soon. */
const heartbeatMs = 200;

export interface Runtime extends Binary {
  name: string;
  /** Arguments of `program`, given a free port to listen on (that `PORT` also carries). */
  args(port: number): string[] | Promise<string[]>;
  /** Run before the program starts (e.g. to bundle), and after it stopped. */
  prepare?: () => Promise<void>;
  cleanup?: () => void;
}

/** A sample server started by a spec: its process and where it listens. */
interface Started {
  child: ChildProcess;
  origin: string;
  output(): string;
}

/** Starts `runtime` and resolves once its sample answers `GET /torn`. */
async function start(runtime: Runtime): Promise<Started> {
  const port = await freePort();
  const child = spawn(runtime.program, await runtime.args(port), {
    cwd: root,
    env: { ...process.env, PORT: String(port), HEARTBEAT_MS: String(heartbeatMs), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.on('error', (error) => (output += `${runtime.program}: ${error.message}\n`));
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started: Started = { child, origin: `http://127.0.0.1:${port}`, output: () => output };
  const deadline = Date.now() + patience;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${runtime.name} exited (${child.exitCode ?? child.signalCode}): ${output}`);
    }
    if ((await answerOf(`${started.origin}/torn`)) !== undefined) return started;
    if (Date.now() > deadline) {
      await stop(started);
      throw new Error(`${runtime.name} did not answer within ${patience} ms: ${output}`);
    }
    await delay(25);
  }
}

/** SIGTERMs the process by its pid and waits for it to exit; SIGKILLs it if it takes too long. */
async function stop({ child }: Started): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGKILL');
    }
  }, patience);
  await exited;
  clearTimeout(timer);
}

/** The body of a GET that answered 200, or undefined if none did (yet). */
async function answerOf(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    const body = await response.text();
    return response.ok ? body : undefined;
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Reads `response`'s body until `done` holds of the text so far; fails after `patience`. */
async function readUntil(
  response: Response,
  done: (text: string) => boolean,
  what: string,
): Promise<string> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(text)}`));
    }, patience);
  });
  try {
    while (!done(text)) {
      const read = await Promise.race([reader.read(), timeout]);
      if (read.done)
        throw new Error(`the stream ended before ${what}; got ${JSON.stringify(text)}`);
      text += decoder.decode(read.value, { stream: true });
    }
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
  return text;
}

/** The version package.json pins `name` at (a dev dependency). */
function pinned(name: string): string {
  const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  return manifest.devDependencies[name] ?? 'latest';
}

/** Whether the CPU can run the default (AVX2) Linux build of Bun, else the baseline one. */
function hasAvx2(): boolean {
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return true;
  }
}

/** A runtime's native binary for this machine, and how to install it where it is missing. */
export interface Binary {
  program: string;
  installHint: string;
}

const { platform, arch } = process;
const linuxX64 = platform === 'linux' && arch === 'x64';

/**
 * Each runtime's binary for this machine. package.json pins the linux-x64 builds (CI's); on another
 * machine the hint names the build to install, without saving, at the same version.
 */
export const binaries = {
  bun(): Binary {
    // Bun's linux-x64 build needs AVX2; the baseline one runs on any x64.
    const os = platform === 'win32' ? 'windows' : platform;
    const build = linuxX64
      ? `linux-x64${hasAvx2() ? '' : '-baseline'}`
      : `${os}-${arch === 'arm64' ? 'aarch64' : arch}`;
    return native('@oven/bun-linux-x64', `@oven/bun-${build}`, 'bin/bun');
  },
  deno(): Binary {
    // The deno package installs the build for this machine as an optional dependency.
    const build = platform === 'linux' ? `linux-${arch}-glibc` : `${platform}-${arch}`;
    const binary = native('deno', `@deno/${build}`, 'deno');
    return { ...binary, installHint: `npm install: deno is a dev dependency (${build})` };
  },
  workerd(): Binary {
    const build = `${platform === 'win32' ? 'windows' : platform}-${arch === 'x64' ? '64' : arch}`;
    return native('@cloudflare/workerd-linux-64', `@cloudflare/workerd-${build}`, 'bin/workerd');
  },
};

function native(dependency: string, name: string, path: string): Binary {
  const installHint =
    name === dependency
      ? `npm install: ${name} is a dev dependency`
      : `npm install --no-save ${name}@${pinned(dependency)}`;
  return {
    program: installed(`${name}/${path}${platform === 'win32' ? '.exe' : ''}`),
    installHint,
  };
}

/** The specs of one runtime's sample: events, teardown, heartbeat and refusal. */
export function describeRuntime(runtime: Runtime): void {
  describe(`${runtime.name} (samples/runtimes)`, function () {
    this.timeout(3 * patience);
    let server: Started | undefined;
    /** Streams the spec has opened and left: the server's finalize() count must reach it. */
    let left = 0;

    const origin = (): string => server!.origin;
    const torn = async (): Promise<number> => {
      const answer = await answerOf(`${origin()}/torn`);
      if (answer === undefined) throw new Error(`GET /torn failed: ${server!.output()}`);
      return Number(answer);
    };
    /** Polls `/torn` until every stream the spec left is torn down, and no more. */
    const allTornDown = async (): Promise<void> => {
      const deadline = Date.now() + patience;
      let count = await torn();
      while (count < left) {
        if (Date.now() > deadline) {
          throw new Error(`${left} streams left but ${count} torn down after ${patience} ms`);
        }
        await delay(10);
        count = await torn();
      }
      expect(count, 'streams torn down').to.equal(left);
    };

    before(async function () {
      requireProgram(this, runtime.program, runtime.installHint);
      this.timeout(3 * patience);
      await runtime.prepare?.();
      server = await start(runtime);
    });

    after(async () => {
      if (server !== undefined) await stop(server);
      server = undefined;
      runtime.cleanup?.();
    });

    it('should stream the events, with their names, ids and data, to an EventSource', async () => {
      const source = new EventSource(`${origin()}/events?token=alice&count=3&every=20`);
      const events: { type: string; id: string; data: unknown }[] = [];
      try {
        await new Promise<void>((resolve, reject) => {
          source.addEventListener('counter', (event) => {
            events.push({ type: event.type, id: event.lastEventId, data: event.data });
            if (events.length === 3) resolve();
          });
          source.addEventListener('error', (event) => {
            reject(new Error(`EventSource failed: ${event.message ?? 'no message'}`));
          });
        });
      } finally {
        source.close();
        left += 1;
      }
      expect(events).to.deep.equal([
        { type: 'counter', id: '0', data: '0' },
        { type: 'counter', id: '1', data: '1' },
        { type: 'counter', id: '2', data: '2' },
      ]);
      await allTornDown();
    });

    it('should resume after Last-Event-ID, with the exact bytes of the frame', async () => {
      const controller = new AbortController();
      const response = await fetch(`${origin()}/events?token=alice&count=3&every=20`, {
        headers: { 'Last-Event-ID': '1' },
        signal: controller.signal,
      });
      try {
        expect(response.status).to.equal(200);
        expect(response.headers.get('content-type')).to.match(/^text\/event-stream\b/);
        const text = await readUntil(response, (sofar) => sofar.includes('\n\n'), 'one event');
        expect(text).to.equal('event: counter\nid: 2\ndata: 2\n\n');
      } finally {
        controller.abort();
        left += 1;
      }
      await allTornDown();
    });

    it("should unsubscribe the handler's Observable when the client leaves", async () => {
      await allTornDown();
      const before = left;
      const controller = new AbortController();
      const response = await fetch(`${origin()}/events?token=alice&count=1&every=0`, {
        signal: controller.signal,
      });
      await readUntil(response, (text) => text.includes('data: 0\n\n'), 'the first event');
      // Subscribed and streaming: nothing has torn it down yet.
      expect(await torn()).to.equal(before);
      controller.abort();
      left += 1;
      await allTornDown();
      expect(await torn()).to.equal(before + 1);
    });

    it(`should send a heartbeat comment on an idle stream (HEARTBEAT_MS=${heartbeatMs})`, async () => {
      const controller = new AbortController();
      const response = await fetch(`${origin()}/events?token=alice&count=0`, {
        signal: controller.signal,
      });
      try {
        expect(response.status).to.equal(200);
        // No event ever comes: the first bytes are the heartbeat's empty comment.
        const text = await readUntil(response, (sofar) => sofar.length >= 3, 'a heartbeat');
        expect(text).to.match(/^(:\n\n)+$/);
      } finally {
        controller.abort();
        left += 1;
      }
      await allTornDown();
    });

    it('should refuse a request without a token with 401, and open no stream', async () => {
      const response = await fetch(`${origin()}/events`);
      expect(response.status).to.equal(401);
      expect(response.headers.get('content-type')).to.not.match(/event-stream/);
      expect(await response.text()).to.equal('no token');
      await allTornDown();
    });
  });
}
