import { expect } from 'chai';
import { spawn } from 'node:child_process';
import type { RequestListener } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Browser, JSHandle, Page } from 'playwright-core';
import { concat, EMPTY, interval, map, NEVER, of, type Observable } from 'rxjs';
import type * as Rx from 'rxjs';
import { HttpError, sse, type EndReason, type SseEvent, type SseOptions } from 'rx-sse';
import type * as RxSseBrowser from 'rx-sse/browser';
import { browserModules, type BrowserModules } from '../../samples/browser/modules.js';
import { browserApp } from '../../samples/browser/server.js';
import { launchBrowser } from '../support/browser.js';
import { fetchRaw, startServer, waitFor, type TestServer } from '../support/server.js';

/** An error as the page hands it back: its own fields, as plain data. */
interface PageError {
  name: string;
  message: string;
  code?: string;
  reason?: string;
  url?: string;
  cause?: string;
}

/** What an Observable did in the page: the values it emitted, and the error it ended with. */
interface Outcome<T> {
  values: T[];
  error?: PageError;
}

/** What the harness page puts on `window.harness`. */
interface Harness {
  rxjs: typeof Rx;
  browser: typeof RxSseBrowser;
  /** Every EventSource opened in the page, in order. */
  sources: EventSource[];
  /** Subscriptions a test keeps between two `evaluate` calls. */
  kept: Rx.Subscription[];
  /** Values kept the same way, one list per kept subscription. */
  seen: unknown[][];
  /** Subscribes; resolves with the first `n` values, or with the error and the values before it. */
  outcome<T>(observable: Rx.Observable<T>, n: number): Promise<Outcome<T>>;
}

// The page every test runs in. tsx compiles this spec with esbuild's keepNames, which wraps named
// functions in `__name(...)` calls, and `page.evaluate` ships them as they are: the page gets one.
const harnessScript = `
  import * as rxjs from 'rxjs';
  import * as browser from 'rx-sse/browser';
  globalThis.__name = (fn) => fn;
  const sources = [];
  const Native = EventSource;
  window.EventSource = class extends Native {
    constructor(url, init) { super(url, init); sources.push(this); }
  };
  const plain = (e) => {
    const fields = { name: e.name, message: e.message, code: e.code, reason: e.reason, url: e.url,
      cause: e.cause === undefined ? undefined : String(e.cause) };
    return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  };
  window.harness = {
    rxjs, browser, sources, kept: [], seen: [],
    outcome: (observable, n) => new Promise((resolve) => {
      const values = [];
      observable.pipe(rxjs.take(n)).subscribe({
        next: (value) => values.push(value),
        error: (error) => resolve({ values, error: plain(error) }),
        complete: () => resolve({ values }),
      });
    }),
  };
`;

/** EventSource's readyState values (Node has no EventSource to read them from). */
const OPEN = 1;
const CLOSED = 2;

const events = (...list: SseEvent[]): Observable<SseEvent> => concat(of(...list), NEVER);

describe('fromEventSource', function () {
  this.timeout(30_000);
  let browser: Browser | undefined;
  let modules: BrowserModules;
  let server: TestServer | undefined;
  let page: Page | undefined;

  before(async function () {
    browser = await launchBrowser(this);
    modules = browserModules();
  });
  after(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.close();
    page = undefined;
    await server?.close();
    server = undefined;
  });

  /** Starts a server with `routes` beside the harness page, opens the page, and hands its harness. */
  async function open(routes: Record<string, RequestListener>): Promise<JSHandle<Harness>> {
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>harness</title>${modules.importMap}</head><body><script type="module">${harnessScript}</script></body></html>`;
    server = await startServer((req, res) => {
      const { pathname } = new URL(req.url ?? '/', 'http://localhost');
      const route = routes[pathname];
      if (pathname === '/') {
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        res.end(html);
      } else if (route !== undefined) route(req, res);
      else if (!modules.serve(req, res)) {
        res.writeHead(404);
        res.end();
      }
    });
    page = await browser!.newPage();
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => 'harness' in window);
    return page.evaluateHandle(() => (window as unknown as { harness: Harness }).harness);
  }

  /** The `readyState` of every EventSource the page opened, in order. */
  function states(harness: JSHandle<Harness>): Promise<number[]> {
    return harness.evaluate((h) => h.sources.map((s) => s.readyState));
  }

  it('should emit the named events it lists, in order, with their data and last event id', async () => {
    const harness = await open({
      '/stream': sse(() =>
        events(
          { event: 'a', id: 1, data: 'one' },
          { event: 'c', id: 2, data: 'not listened for' },
          { event: 'b', data: 'two\nlines' },
          { event: 'a', id: 'x', data: 'three' },
        ),
      ),
    });
    const outcome = await harness.evaluate((h) => {
      return h.outcome(h.browser.fromEventSource('/stream', { events: ['a', 'b'] }), 3);
    });
    const origin = server!.origin;
    expect(outcome).to.deep.equal({
      values: [
        { event: 'a', data: 'one', lastEventId: '1', origin },
        { event: 'b', data: 'two\nlines', lastEventId: '2', origin },
        { event: 'a', data: 'three', lastEventId: 'x', origin },
      ],
    });
  });

  it('should emit the events sent without a name, and only those, by default', async () => {
    const harness = await open({
      '/stream': sse(() => events({ data: 'm1' }, { event: 'tick', data: 't' }, { data: 'm2' })),
    });
    const outcome = await harness.evaluate((h) => {
      return h.outcome(h.browser.fromEventSource(new URL('/stream', location.href)), 2);
    });
    expect(outcome.values.map(({ event, data }) => [event, data])).to.deep.equal([
      ['message', 'm1'],
      ['message', 'm2'],
    ]);
    expect(outcome.error).to.equal(undefined);
  });

  it('should decode the data with options.decode', async () => {
    const harness = await open({
      '/stream': sse(() => events({ data: { n: 1, tags: ['a'] } }, { data: [null, 'two'] })),
    });
    const outcome = await harness.evaluate((h) => {
      const stream = h.browser.fromEventSource<unknown>('/stream', { decode: JSON.parse });
      return h.outcome(stream.pipe(h.rxjs.map((m) => m.data)), 2);
    });
    expect(outcome).to.deep.equal({ values: [{ n: 1, tags: ['a'] }, [null, 'two']] });
  });

  it('should error naming the event and the url when decode fails, and close the EventSource', async () => {
    const ended: EndReason[] = [];
    const harness = await open({
      '/stream': sse(() => events({ event: 'tick', data: 'not json' }), {
        onDisconnect: (_, reason) => ended.push(reason),
      }),
    });
    const outcome = await harness.evaluate((h) => {
      const stream = h.browser.fromEventSource('/stream', { events: ['tick'], decode: JSON.parse });
      return h.outcome(stream, 1);
    });
    expect(outcome.values).to.deep.equal([]);
    expect(outcome.error).to.deep.include({
      name: 'Error',
      message: `fromEventSource: ${server!.origin}/stream: options.decode failed on a "tick" event: string "not json"`,
    });
    expect(outcome.error?.cause).to.match(/^SyntaxError/);
    expect(await states(harness)).to.deep.equal([CLOSED]);
    await waitFor(() => ended.length === 1, 'the server to see the client go');
    expect(ended).to.deep.equal(['client']);
  });

  it('should open one EventSource per subscription, and close it on unsubscribe', async () => {
    let connected = 0;
    const ended: EndReason[] = [];
    const harness = await open({
      '/stream': sse(() => interval(20).pipe(map((i) => ({ data: i }))), {
        onConnect: () => connected++,
        onDisconnect: (_, reason) => ended.push(reason),
      }),
    });
    const openedBeforeSubscribing = await harness.evaluate((h) => {
      const streams = [false, true].map((withCredentials) =>
        h.browser.fromEventSource('/stream', { withCredentials }),
      );
      const opened = h.sources.length;
      for (const stream of streams) {
        const seen: unknown[] = [];
        h.seen.push(seen);
        h.kept.push(stream.subscribe((m) => seen.push(m.data)));
      }
      return opened;
    });
    expect(openedBeforeSubscribing).to.equal(0);
    await page!.waitForFunction((h) => h.seen.every((values) => values.length >= 2), harness);
    expect(connected).to.equal(2);
    expect(await states(harness)).to.deep.equal([OPEN, OPEN]);
    expect(await harness.evaluate((h) => h.sources.map((s) => s.withCredentials))).to.deep.equal([
      false,
      true,
    ]);
    // Each subscription reads its own stream from its start.
    expect(await harness.evaluate((h) => h.seen.map((v) => v.slice(0, 2)))).to.deep.equal([
      ['0', '1'],
      ['0', '1'],
    ]);

    await harness.evaluate((h) => {
      h.kept[0]!.unsubscribe();
    });
    expect(await states(harness)).to.deep.equal([CLOSED, OPEN]);
    await waitFor(() => ended.length === 1, 'the server to see the first client go');
    await harness.evaluate((h) => {
      h.kept[1]!.unsubscribe();
    });
    expect(await states(harness)).to.deep.equal([CLOSED, CLOSED]);
    await waitFor(() => ended.length === 2, 'the server to see the second client go');
    expect(ended).to.deep.equal(['client', 'client']);
  });

  // WHATWG: once closed, an EventSource attempts no reconnection and its fetch is aborted. So
  // unsubscribing from inside any callback must close it: mid-body (decode), after the head
  // (onOpen), and during the browser's own wait before reconnecting (onReconnecting).
  for (const which of ['decode', 'onOpen', 'onReconnecting'] as const) {
    it(`should close the EventSource when unsubscribed from inside ${which}`, async () => {
      let requests = 0;
      const ended: EndReason[] = [];
      const harness = await open({
        '/stream': sse(
          () => {
            requests++;
            // The first stream ends after its event (the browser then waits 50 ms to reconnect);
            // a later one would never end.
            return requests === 1 && which === 'onReconnecting'
              ? of({ id: 1, data: 'a' })
              : events({ id: 1, data: 'a' });
          },
          { retry: 50, onDisconnect: (_, reason) => ended.push(reason) },
        ),
      });
      const calls = await harness.evaluate((h, which) => {
        const stop = new h.rxjs.Subject<void>();
        const calls: string[] = [];
        const called = (name: string): void => {
          calls.push(name);
          if (name === which) stop.next();
        };
        const stream = h.browser.fromEventSource('/stream', {
          decode: (data) => (called('decode'), data),
          onOpen: () => called('onOpen'),
          onReconnecting: () => called('onReconnecting'),
        });
        return new Promise<string[]>((resolve) => {
          stream.pipe(h.rxjs.takeUntil(stop)).subscribe({ complete: () => resolve(calls) });
        });
      }, which);
      expect(calls).to.deep.equal(
        {
          decode: ['onOpen', 'decode'],
          onOpen: ['onOpen'],
          onReconnecting: ['onOpen', 'decode', 'onReconnecting'],
        }[which],
      );
      expect(await states(harness)).to.deep.equal([CLOSED]);
      if (which !== 'onReconnecting') {
        await waitFor(() => ended.length === 1, 'the server to see the client go');
        expect(ended).to.deep.equal(['client']);
      }
      expect(requests).to.equal(1);
    });
  }

  it('should error with an EventSourceError naming the url when the server refuses the stream', async () => {
    const harness = await open({
      '/500': sse(() => {
        throw new HttpError(500);
      }),
      '/204': sse(() => {
        throw new HttpError(204);
      }),
      '/text': (_, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('data: not a stream\n\n');
      },
    });
    for (const path of ['/500', '/204', '/text']) {
      const outcome = await harness.evaluate((h, path) => {
        return h.outcome(h.browser.fromEventSource(path), 1);
      }, path);
      const url = `${server!.origin}${path}`;
      expect(outcome.values, path).to.deep.equal([]);
      expect(outcome.error, path).to.deep.include({
        name: 'EventSourceError',
        code: 'ERR_EVENT_SOURCE',
        reason: 'closed',
        url,
      });
      expect(outcome.error?.message, path).to.match(
        new RegExp(
          `^fromEventSource: ${url}: the browser closed the stream and will not reconnect`,
        ),
      );
    }
    expect(await states(harness)).to.deep.equal([CLOSED, CLOSED, CLOSED]);
  });

  it('should carry on through a stream the server ended, resuming after the Last-Event-ID', async () => {
    const asked: (string | undefined)[] = [];
    const harness = await open({
      // Three events a connection, numbered on from the Last-Event-ID, then the stream ends.
      '/stream': sse(
        (ctx) => {
          asked.push(ctx.lastEventId);
          const first = ctx.lastEventId === undefined ? 1 : Number(ctx.lastEventId) + 1;
          return of(0, 1, 2).pipe(map((i) => ({ id: first + i, data: `n${String(first + i)}` })));
        },
        { retry: 50 } satisfies SseOptions,
      ),
    });
    const outcome = await harness.evaluate((h) => {
      const calls: string[] = [];
      const stream = h.browser.fromEventSource('/stream', {
        maxReconnects: 1, // enough: an event between two drops starts the count again
        onOpen: () => calls.push('open'),
        onReconnecting: (attempt) => calls.push(`reconnecting ${String(attempt)}`),
      });
      return h
        .outcome(stream.pipe(h.rxjs.map((m) => `${m.data}@${m.lastEventId}`)), 8)
        .then((outcome) => ({ ...outcome, calls }));
    });
    expect(outcome).to.deep.equal({
      values: ['n1@1', 'n2@2', 'n3@3', 'n4@4', 'n5@5', 'n6@6', 'n7@7', 'n8@8'],
      calls: ['open', 'reconnecting 1', 'open', 'reconnecting 1', 'open'],
    });
    expect(asked).to.deep.equal([undefined, '3', '6']);
  });

  it('should error after maxReconnects reconnections in a row with no event', async () => {
    let connections = 0;
    const harness = await open({
      '/empty': sse(
        () => {
          connections++;
          return EMPTY;
        },
        { retry: 20 },
      ),
    });
    const outcome = await harness.evaluate((h) => {
      const attempts: number[] = [];
      const stream = h.browser.fromEventSource('/empty', {
        maxReconnects: 2,
        onReconnecting: (attempt) => attempts.push(attempt),
      });
      return h.outcome(stream, 1).then((outcome) => ({ ...outcome, attempts }));
    });
    expect(outcome.attempts).to.deep.equal([1, 2]);
    expect(outcome.error).to.deep.include({
      name: 'EventSourceError',
      reason: 'reconnects',
      message: `fromEventSource: ${server!.origin}/empty: gave up after 2 reconnections in a row with no event`,
    });
    expect(connections).to.equal(3);
    expect(await states(harness)).to.deep.equal([CLOSED]);
  });

  it('should take a server event named "error" or "open" for an event, never for the connection', async () => {
    const harness = await open({
      '/stream': sse(() =>
        events(
          { event: 'open', data: 'a server "open"' },
          { event: 'error', data: 'a server "error"' },
          { data: 'after' },
        ),
      ),
    });
    const outcome = await harness.evaluate(async (h) => {
      let opens = 0;
      let reconnects = 0;
      // maxReconnects 0: an event taken for a dropped connection would error at once.
      const options = { maxReconnects: 0, onReconnecting: () => reconnects++ };
      const listed = h.browser.fromEventSource('/stream', {
        ...options,
        events: ['open', 'error', 'message'],
        onOpen: () => opens++,
      });
      const all = await h.outcome(listed.pipe(h.rxjs.map((m) => [m.event, m.data])), 3);
      // Not listed: ignored, and the stream goes on.
      const unlisted = await h.outcome(h.browser.fromEventSource('/stream', options), 1);
      return {
        all,
        opens,
        reconnects,
        unlisted: unlisted.values.map((m) => m.data),
        error: unlisted.error,
      };
    });
    expect(outcome).to.deep.equal({
      all: {
        values: [
          ['open', 'a server "open"'],
          ['error', 'a server "error"'],
          ['message', 'after'],
        ],
      },
      opens: 1,
      reconnects: 0,
      unlisted: ['after'],
      error: undefined,
    });
  });

  it('should error, and close the EventSource, when onOpen throws', async () => {
    const harness = await open({ '/stream': sse(() => events({ data: 'x' })) });
    const outcome = await harness.evaluate((h) => {
      const stream = h.browser.fromEventSource('/stream', {
        onOpen: () => {
          throw new Error('oops');
        },
      });
      return h.outcome(stream, 1);
    });
    expect(outcome).to.deep.equal({
      values: [],
      error: {
        name: 'Error',
        message: 'fromEventSource: options.onOpen threw',
        cause: 'Error: oops',
      },
    });
    expect(await states(harness)).to.deep.equal([CLOSED]);
  });

  it('should be built where there is no EventSource, and error only when subscribed there', async () => {
    const harness = await open({});
    const outcome = await harness.evaluate(async (h) => {
      const saved = window.EventSource;
      const stream = h.browser.fromEventSource('/stream');
      Reflect.deleteProperty(window, 'EventSource');
      try {
        return await h.outcome(stream, 1);
      } finally {
        window.EventSource = saved;
      }
    });
    expect(outcome.error?.message).to.equal(
      'fromEventSource: there is no EventSource here: it runs in browsers (on Node, use fromSse from rx-sse/client)',
    );
  });

  it('should refuse bad arguments at the call with a TypeError naming them', async () => {
    const harness = await open({});
    const options =
      'events, withCredentials, decode, onOpen, onReconnecting, maxReconnects' as const;
    const cases: [unknown[], string][] = [
      [[42], 'url must be a string or a URL (got number 42)'],
      [['http://[::1'], 'url is not a valid URL (got string "http://[::1")'],
      [['/s', null], 'options must be an object (got null)'],
      [['/s', ['message']], 'options must be an object (got an array)'],
      [['/s', { event: ['tick'] }], `unknown option "event"; the options are ${options}`],
      [
        ['/s', { events: 'tick' }],
        'options.events must be a non-empty array of event types (got string "tick")',
      ],
      [
        ['/s', { events: [] }],
        'options.events must be a non-empty array of event types (got an array)',
      ],
      [
        ['/s', { events: ['tick', ''] }],
        'options.events[1] must be a non-empty string (got string "")',
      ],
      [['/s', { events: [7] }], 'options.events[0] must be a non-empty string (got number 7)'],
      [
        ['/s', { withCredentials: 'yes' }],
        'options.withCredentials must be a boolean (got string "yes")',
      ],
      [['/s', { decode: 'json' }], 'options.decode must be a function (got string "json")'],
      [['/s', { onOpen: 1 }], 'options.onOpen must be a function (got number 1)'],
      [
        ['/s', { onReconnecting: true }],
        'options.onReconnecting must be a function (got boolean true)',
      ],
      [
        ['/s', { maxReconnects: -1 }],
        'options.maxReconnects must be an integer of at least 0 (got number -1)',
      ],
      [
        ['/s', { maxReconnects: 1.5 }],
        'options.maxReconnects must be an integer of at least 0 (got number 1.5)',
      ],
    ];
    const thrown = await harness.evaluate((h, cases) => {
      const call = h.browser.fromEventSource as (...args: unknown[]) => unknown;
      return cases.map(([args]) => {
        try {
          call(...args);
          return 'nothing thrown';
        } catch (error) {
          return error instanceof TypeError ? error.message : `not a TypeError: ${String(error)}`;
        }
      });
    }, cases);
    expect(thrown).to.deep.equal(cases.map(([, message]) => `fromEventSource: ${message}`));
    expect(await states(harness)).to.deep.equal([]);
  });
});

describe('the browser sample', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let server: TestServer | undefined;

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('should count to 9 with fromEventSource, then be done, with no error in the page', async () => {
    server = await startServer(browserApp({ period: 30 }));
    const page = await browser!.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // Chromium asks for /favicon.ico, which the sample does not serve.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) {
        problems.push(message.text());
      }
    });
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(
      () => document.getElementById('status')?.textContent === 'done',
      undefined,
      {
        timeout: 10_000,
      },
    );
    expect(await page.textContent('div')).to.equal('Counter: 9');
    expect(problems).to.deep.equal([]);
    await page.close();
  });

  it('should run as a program from the sources, with no build, and show the count', async () => {
    const serverPath = fileURLToPath(new URL('../../samples/browser/server.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--conditions=rx-sse-source', '--import', 'tsx', serverPath],
      { env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const origin = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const port = /browser: http:\/\/localhost:(\d+)\//.exec(out)?.[1];
          if (port !== undefined) resolve(`http://127.0.0.1:${port}`);
        });
        child.once('exit', (code) => reject(new Error(`exited with ${String(code)}: ${out}`)));
      });
      for (const path of ['/modules/rxjs.js', '/modules/rx-sse/browser/index.js']) {
        const res = await fetchRaw(`${origin}${path}`);
        expect(res.status, path).to.equal(200);
        expect(res.headers['content-type'], path).to.equal('text/javascript; charset=utf-8');
      }
      const page = await browser!.newPage();
      await page.goto(`${origin}/`);
      await page.waitForFunction(
        () => document.querySelector('div')?.textContent === 'Counter: 1',
        undefined,
        {
          timeout: 10_000,
        },
      );
      expect(await page.textContent('#status')).to.equal('open');
      await page.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});
