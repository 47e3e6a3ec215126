// A clock composed from RxJS: `timer` for the beat, `map` for the time, a query parameter for
// the period. `/` shows it; `/clock?every=250` streams `tick` events every 250 ms.
//
// Run: node --conditions=rx-sse-source --import tsx samples/clock.ts
import type { RequestListener } from 'node:http';
import { map, timer, type Observable } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent } from 'rx-sse';
import { isMain, notFound, page, serve } from './serve.js';

/** Ticks at once and then every `?every=` ms (100 to 60000, default 1000), with the server's time. */
export function clock(ctx: SseContext): Observable<SseEvent> {
  const every = Number(ctx.url.searchParams.get('every') ?? 1000);
  if (!Number.isInteger(every) || every < 100 || every > 60_000) {
    throw new HttpError(400, 'every must be a whole number of ms from 100 to 60000');
  }
  return timer(0, every).pipe(map(() => ({ event: 'tick', data: new Date().toISOString() })));
}

const clockPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rx-sse clock</title></head>
<body><p>Server time: <time id="now"></time></p>
<script>
  new EventSource('/clock').addEventListener('tick', (e) => { document.getElementById('now').textContent = e.data; });
</script></body></html>
`;

const stream = sse(clock);

export const app: RequestListener = (req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (pathname === '/') page(res, clockPage);
  else if (pathname === '/clock') stream(req, res);
  else notFound(res);
};

if (isMain(import.meta.url)) serve(app, 'clock');
