// The counter again, read in the page with rx-sse/browser: `fromEventSource` turns the browser's
// EventSource into an Observable, and the page composes it with RxJS like any other. `/` is the
// page, `/counter` streams ten `counter` events whose data is JSON (`{"n":0}` ...), a second apart.
//
// Run: node --conditions=rx-sse-source --import tsx samples/browser/server.ts
// Then open http://localhost:8080/
//
// The page imports `rxjs` and `rx-sse/browser` by name through an import map, with no bundler:
// see modules.ts for how they are served here, and what to serve in production.
import type { RequestListener } from 'node:http';
import { interval, map, take, type Observable } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent } from 'rx-sse';
import { isMain, notFound, page, serve } from '../serve.js';
import { browserModules } from './modules.js';

const count = 10;

/**
 * Ten `counter` events, `period` ms apart, with their number as id and `{ n }` as data. A client
 * that lost the connection resumes after the last one it saw; one that saw them all gets 204.
 */
export function counter(ctx: SseContext, period = 1000): Observable<SseEvent> {
  if (ctx.lastEventId !== undefined && !/^\d{1,15}$/.test(ctx.lastEventId)) {
    throw new HttpError(400, 'Last-Event-ID must be a counter value');
  }
  const first = ctx.lastEventId === undefined ? 0 : Number(ctx.lastEventId) + 1;
  if (first >= count) throw new HttpError(204);
  return interval(period).pipe(
    take(count - first),
    map((i) => ({ event: 'counter', id: first + i, data: { n: first + i } })),
  );
}

/** The page: values are shown with textContent only, so nothing the server sends becomes markup. */
export function counterPage(importMap: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>rx-sse in the browser</title>
    ${importMap}
  </head>
  <body>
    <div><span>Counter: </span><span id="counter"></span></div>
    <p>Stream: <span id="status">connecting…</span></p>
    <script type="module">
      import { take } from 'rxjs';
      import { fromEventSource } from 'rx-sse/browser';

      const counter = document.getElementById('counter');
      const status = document.getElementById('status');
      fromEventSource('/counter', {
        events: ['counter'],
        decode: JSON.parse,
        onOpen: () => { status.textContent = 'open'; },
        onReconnecting: (attempt) => { status.textContent = 'reconnecting (' + attempt + ')…'; },
      })
        // The stream has ${String(count)} events; taking them all unsubscribes, which closes the
        // EventSource before it could reconnect to an ended stream.
        .pipe(take(${String(count)}))
        .subscribe({
          next: ({ data }) => { counter.textContent = String(data.n); },
          error: (error) => { status.textContent = 'failed: ' + error.message; },
          complete: () => { status.textContent = 'done'; },
        });
    </script>
  </body>
</html>
`;
}

/** Options of {@link browserApp}. */
export interface BrowserAppOptions {
  /** The ms between two counter events. Defaults to `1000`. */
  period?: number | undefined;
}

/** The sample's listener: the page, its modules, and the stream. */
export function browserApp({ period = 1000 }: BrowserAppOptions = {}): RequestListener {
  const modules = browserModules();
  const html = counterPage(modules.importMap);
  const stream = sse((ctx) => counter(ctx, period));
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === '/') page(res, html);
    else if (pathname === '/counter') stream(req, res);
    else if (!modules.serve(req, res)) notFound(res);
  };
}

if (isMain(import.meta.url)) serve(browserApp(), 'browser');
