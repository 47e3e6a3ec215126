// The Pedestal SSE guide's counter, in rx-sse: `/` is a page whose EventSource shows "Counter: N",
// `/counter` streams ten `counter` events, 0 to 9, a second apart, then completes.
//
// Run: node --conditions=rx-sse-source --import tsx samples/counter.ts   (or: npm start)
// Then open http://localhost:8080/ or: curl -N http://localhost:8080/counter
import type { RequestListener } from 'node:http';
import { interval, map, take } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent } from 'rx-sse';
import type { Observable } from 'rxjs';
import { isMain, notFound, page, serve } from './serve.js';

const count = 10;

/**
 * Ten counter events. Each carries its number as its id, so a client that lost the connection
 * resumes after the last one it saw, and one that saw them all is told to stop (204) instead of
 * starting over: EventSource reconnects whenever a stream ends.
 */
export function counter(ctx: SseContext): Observable<SseEvent> {
  if (ctx.lastEventId !== undefined && !/^\d{1,15}$/.test(ctx.lastEventId)) {
    throw new HttpError(400, 'Last-Event-ID must be a counter value');
  }
  const first = ctx.lastEventId === undefined ? 0 : Number(ctx.lastEventId) + 1;
  if (first >= count) throw new HttpError(204);
  return interval(1000).pipe(
    take(count - first),
    map((i) => ({ event: 'counter', id: first + i, data: first + i })),
  );
}

export const counterPage = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>rx-sse counter</title></head>
  <body>
    <div><span>Counter: </span><span id="counter"></span></div>
    <p>Stream: <span id="status">connecting…</span></p>
    <script>
      const status = document.getElementById('status');
      const source = new EventSource('/counter');
      source.addEventListener('open', () => { status.textContent = 'open'; });
      source.addEventListener('counter', (e) => { document.getElementById('counter').textContent = e.data; });
      source.addEventListener('error', () => {
        status.textContent = source.readyState === EventSource.CLOSED ? 'done' : 'reconnecting…';
      });
    </script>
  </body>
</html>
`;

const stream = sse(counter);

export const app: RequestListener = (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (pathname === '/') page(res, counterPage);
  else if (pathname === '/counter') stream(req, res);
  else notFound(res);
};

if (isMain(import.meta.url)) serve(app, 'counter');
