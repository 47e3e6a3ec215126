import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from './support/port.js';
import { startRedis, type TestRedis } from './support/redis.js';
import { openStream, waitFor, type OpenStream } from './support/server.js';

const server = fileURLToPath(new URL('../samples/assistant/server.ts', import.meta.url));

/** The sample as its own node process on `port`, its answers on Redis; resolves once it listens. */
async function startSample(port: number, redisUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--conditions=rx-sse-source', '--import', 'tsx', server], {
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl, TOKEN_DELAY_MS: '100' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sample exited (${String(code)}): ${out}`)));
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes(`:${port}/`)) resolve();
    });
  });
  return child;
}

/** POSTs a prompt and resolves once the head has arrived; the events keep arriving. */
function ask(origin: string, prompt: string): Promise<OpenStream> {
  return openStream(
    `${origin}/answers`,
    { 'Content-Type': 'application/json' },
    { method: 'POST', body: JSON.stringify({ prompt }) },
  );
}

describe('samples/assistant on Redis: two processes, one set of answers', function () {
  this.timeout(60_000);
  let redis: TestRedis | undefined;
  const samples: ChildProcess[] = [];
  const ports: number[] = [];

  before(async function () {
    redis = await startRedis(this);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      ports.push(port);
      samples.push(await startSample(port, redis.url));
    }
  });
  after(async () => {
    for (const child of samples) {
      if (child.exitCode !== null) continue;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await redis?.stop();
  });

  it('should resume on the second process an answer POSTed to the first, none missing or repeated', async () => {
    const prompt = 'a question asked of one process and answered on the other';
    const words = prompt.split(' ');
    const first = await ask(`http://127.0.0.1:${ports[0]}`, prompt);
    await waitFor(() => first.events.length >= 3, 'three tokens from the first process');
    first.close();
    const seen = first.events.slice();
    const rest = await openStream(`http://127.0.0.1:${ports[1]}${String(first.headers.location)}`, {
      'Last-Event-ID': seen[seen.length - 1]?.id ?? '',
    });
    await rest.ended;
    expect(rest.status).to.equal(200);
    expect(
      [...seen, ...rest.events].map((event) => [event.event, event.data, event.id]),
    ).to.deep.equal([
      ...words.map((word, i) => ['token', word, String(i)]),
      ['done', '', String(words.length)],
    ]);
  });

  it("should keep a token's answer to that token on the other process too", async () => {
    const asked = await openStream(
      `http://127.0.0.1:${ports[0]}/answers`,
      { 'Content-Type': 'application/json', Authorization: 'Bearer alice' },
      { method: 'POST', body: JSON.stringify({ prompt: 'mine alone' }) },
    );
    await asked.ended;
    const elsewhere = `http://127.0.0.1:${ports[1]}${String(asked.headers.location)}`;
    const stranger = await openStream(elsewhere, { Authorization: 'Bearer mallory' });
    await stranger.ended;
    expect(stranger.status).to.equal(404);
    const owner = await openStream(elsewhere, { Authorization: 'Bearer alice' });
    await owner.ended;
    expect(owner.events.map((event) => event.data)).to.deep.equal(['mine', 'alone', '']);
  });

  it('should answer 404 on either process for an answer neither has', async () => {
    for (const port of ports) {
      const unknown = await openStream(
        `http://127.0.0.1:${port}/answers/00000000-0000-4000-8000-000000000000`,
      );
      expect(unknown.status).to.equal(404);
    }
  });
});
