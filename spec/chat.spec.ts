import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createChannel } from 'rx-sse/channel';
import { chatApp } from '../samples/chat/chat.js';
import { launchBrowser } from './support/browser.js';
import { startRedis, type TestRedis } from './support/redis.js';
import { openStream, startServer, waitFor, type TestServer } from './support/server.js';

const serverPath = fileURLToPath(new URL('../samples/chat/server.ts', import.meta.url));

function post(
  url: string,
  body: string,
  type = 'application/json',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': type } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `samples/chat/server.ts` as a user would, on a free port; resolves with its origin. */
async function runChat(
  env: Record<string, string>,
): Promise<{ origin: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=rx-sse-source', '--import', 'tsx', serverPath],
    { env: { ...process.env, ...env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const origin = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const port = /chat: http:\/\/localhost:(\d+)\//.exec(out)?.[1];
      if (port !== undefined) resolve(`http://127.0.0.1:${port}`);
    });
    child.once('exit', (code) => reject(new Error(`chat exited with ${String(code)}: ${out}`)));
  });
  return {
    origin,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function typeMessage(page: Page, name: string, text: string): Promise<void> {
  await page.fill('#name', name);
  await page.fill('#text', text);
  await page.click('button');
}

function shows(page: Page, text: string): Promise<unknown> {
  return page.waitForFunction(
    (t) => [...document.querySelectorAll('#messages li')].some((li) => li.textContent === t),
    text,
    { timeout: 10_000 },
  );
}

describe('the chat sample', function () {
  this.timeout(60_000);

  describe('in memory, one process', () => {
    let server: TestServer;
    beforeEach(async () => {
      server = await startServer(chatApp(createChannel(), 'test'));
    });
    afterEach(() => server.close());

    it('should refuse what is not a message, saying what is wrong', async () => {
      const url = `${server.origin}/messages`;
      const refusals = [
        [await post(url, 'hi', 'text/plain'), 415, /application\/json/],
        [await post(url, '{'), 400, /not JSON/],
        [await post(url, '{"name":"ann"}'), 400, /text must be/],
        [await post(url, '{"name":"","text":"x"}'), 400, /name must be/],
        [await post(url, JSON.stringify({ name: 'a', text: 'x'.repeat(5000) })), 413, /at most/],
      ] as const;
      for (const [response, status, message] of refusals) {
        expect(response.status).to.equal(status);
        expect(response.body).to.match(message);
      }
    });

    it('should keep a character whose bytes arrive in two chunks whole', async () => {
      const reader = await openStream(`${server.origin}/events`);
      const body = Buffer.from('{"name":"zoë","text":"café ☕"}');
      const split = body.indexOf(Buffer.from('☕')) + 1; // inside the three bytes of ☕
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${server.origin}/messages`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write(body.subarray(0, split));
        setTimeout(() => req.end(body.subarray(split)), 50);
      });
      expect(status).to.equal(201);
      await waitFor(() => reader.events.length === 1, 'the message');
      expect(JSON.parse(reader.events[0]!.data)).to.deep.equal({ name: 'zoë', text: 'café ☕' });
      reader.close();
    });

    it('should stream a posted message to every reader, and its recent messages to a newcomer', async () => {
      const readers = await Promise.all([1, 2].map(() => openStream(`${server.origin}/events`)));
      const posted = await post(`${server.origin}/messages`, '{"name":"ann","text":"hi <b>"}');
      expect(posted.status).to.equal(201);
      const { id } = JSON.parse(posted.body) as { id: string };
      await waitFor(() => readers.every((r) => r.events.length === 1), 'the message');
      for (const reader of readers) {
        expect(reader.events[0]).to.deep.include({
          event: 'message',
          id,
          data: '{"name":"ann","text":"hi <b>"}',
        });
        reader.close();
      }
      const newcomer = await openStream(`${server.origin}/events`);
      await waitFor(() => newcomer.events.length === 1, 'the recent message');
      newcomer.close();
    });

    it('should work in a browser: typed in one page, shown in another, never as markup', async function () {
      const browser: Browser = await launchBrowser(this);
      try {
        const [one, two] = [await browser.newPage(), await browser.newPage()];
        for (const page of [one, two]) {
          await page.goto(`${server.origin}/`);
          await page.waitForFunction(
            () => document.getElementById('status')?.textContent === 'open',
          );
        }
        await typeMessage(one, 'ann', 'hello <img src=x onerror=alert(1)>');
        await shows(two, 'annhello <img src=x onerror=alert(1)>');
        expect(await two.$$('#messages img')).to.have.length(0);
      } finally {
        await browser.close();
      }
    });
  });

  describe('on Redis, two processes', () => {
    let redis: TestRedis | undefined;
    let chats: { origin: string; stop(): Promise<void> }[] = [];
    before(async function () {
      redis = await startRedis(this);
      chats = await Promise.all([1, 2].map(() => runChat({ REDIS_URL: redis!.url })));
    });
    after(async () => {
      await Promise.all(chats.map((chat) => chat.stop()));
      await redis?.stop();
    });

    it('should show a message posted to one process to the readers of the other', async () => {
      const [a, b] = chats as [(typeof chats)[0], (typeof chats)[0]];
      const reader = await openStream(`${b.origin}/events`);
      const posted = await post(`${a.origin}/messages`, '{"name":"bob","text":"across"}');
      expect(posted.status).to.equal(201);
      await waitFor(() => reader.events.length === 1, 'the message on B');
      expect(reader.events[0]!.data).to.equal('{"name":"bob","text":"across"}');
      // And a reader that moves from B to A with its Last-Event-ID misses nothing.
      reader.close();
      await post(`${b.origin}/messages`, '{"name":"bob","text":"while away"}');
      const moved = await openStream(`${a.origin}/events`, {
        'Last-Event-ID': reader.events[0]!.id!,
      });
      await waitFor(() => moved.events.length === 1, 'the missed message on A');
      expect(moved.events[0]!.data).to.equal('{"name":"bob","text":"while away"}');
      moved.close();
    });

    it('should work in browsers on the two processes: typed on one, shown on both', async function () {
      const browser: Browser = await launchBrowser(this);
      try {
        const pages = [await browser.newPage(), await browser.newPage()];
        for (const [i, page] of pages.entries()) {
          await page.goto(`${chats[i]!.origin}/`);
          await page.waitForFunction(
            () => document.getElementById('status')?.textContent === 'open',
          );
        }
        await typeMessage(pages[0]!, 'cy', 'typed on the first process');
        for (const page of pages) await shows(page, 'cytyped on the first process');
      } finally {
        await browser.close();
      }
    });
  });
});
