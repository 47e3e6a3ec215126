import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { interval, map, take } from 'rxjs';
import { sse, type SseOptions } from 'rx-sse';
import { browserModules } from '../samples/browser/modules.js';
import { app } from '../samples/counter.js';
import { launchBrowser } from './support/browser.js';
import { startServer, type TestServer } from './support/server.js';

describe('in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  const servers: TestServer[] = [];

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => {
    await browser?.close();
    await Promise.all(servers.map((server) => server.close()));
  });

  async function serve(listener: Parameters<typeof startServer>[0]): Promise<TestServer> {
    const server = await startServer(listener);
    servers.push(server);
    return server;
  }

  it('should count the counter page to "Counter: 9" and then stop instead of starting over', async () => {
    const server = await serve(app);
    const page = await browser!.newPage();
    await page.goto(`${server.origin}/`);
    const shows = (text: string, timeout: number) =>
      page.waitForFunction((t) => document.querySelector('div')?.textContent === t, text, {
        timeout,
      });
    await shows('Counter: 1', 5000);
    await shows('Counter: 9', 15_000);
    // The stream completed; EventSource reconnects with Last-Event-ID 9, gets 204, and closes.
    await page.waitForFunction(
      () => document.getElementById('status')?.textContent === 'done',
      undefined,
      {
        timeout: 15_000,
      },
    );
    expect(await page.textContent('div')).to.equal('Counter: 9');
  });

  describe('a page on another origin', () => {
    /** Opens a page on its own origin whose EventSource reads `url`; resolves with what it saw. */
    async function readFrom(
      url: string,
      withCredentials: boolean,
    ): Promise<{ data: string[]; state: number }> {
      const pageServer = await serve((_, res) => {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<!doctype html><title>other origin</title>');
      });
      const page = await browser!.newPage();
      await page.goto(pageServer.origin);
      return page.evaluate(
        ({ url, withCredentials }) =>
          new Promise<{ data: string[]; state: number }>((resolve) => {
            const data: string[] = [];
            const source = new EventSource(url, { withCredentials });
            source.onmessage = (event) => {
              data.push(event.data as string);
              if (data.length === 3) {
                source.close();
                resolve({ data, state: source.readyState });
              }
            };
            source.onerror = () => {
              if (source.readyState === EventSource.CLOSED)
                resolve({ data, state: source.readyState });
            };
          }),
        { url, withCredentials },
      );
    }

    const stream = (cors: SseOptions['cors']) =>
      sse(
        () =>
          interval(10).pipe(
            take(3),
            map((i) => ({ data: i })),
          ),
        { cors },
      );

    it('should read the stream when its origin is allowed, with credentials', async () => {
      // The page's server starts next, on the port after; allow whatever origin asks that is 127.0.0.1.
      const events = await serve(
        stream({ origin: (o) => o.startsWith('http://127.0.0.1:'), credentials: true }),
      );
      const seen = await readFrom(events.origin, true);
      expect(seen.data).to.deep.equal(['0', '1', '2']);
    });

    it("should let fromSse read it with cors's default allowed headers (no preflight refused)", async () => {
      // fromSse asks fetch for `cache: 'no-store'` rather than setting Cache-Control itself: a
      // header set by a page needs the server's leave in a preflight, one fetch adds does not.
      const events = await serve(stream({ origin: (o) => o.startsWith('http://127.0.0.1:') }));
      const modules = browserModules();
      const pageServer = await serve((req, res) => {
        if (modules.serve(req, res)) return;
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end(`<!doctype html><head>${modules.importMap}</head><title>other origin</title>`);
      });
      const page = await browser!.newPage();
      await page.goto(pageServer.origin);
      const data = await page.evaluate(async (url) => {
        const { fromSse } = await import('rx-sse/client');
        const { lastValueFrom, map, take, toArray } =
          (await import('rxjs')) as typeof import('rxjs');
        return lastValueFrom(
          fromSse(url).pipe(
            take(3),
            map((message) => message.data),
            toArray(),
          ),
        );
      }, events.origin);
      expect(data).to.deep.equal(['0', '1', '2']);
    });

    it('should be refused when its origin is not allowed', async () => {
      const events = await serve(stream({ origin: ['https://elsewhere.example'] }));
      const seen = await readFrom(events.origin, false);
      expect(seen).to.deep.equal({ data: [], state: 2 });
    });
  });
});
