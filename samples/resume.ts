// An endless numbered stream that resumes where the client left off. Every event has an id; a
// reconnecting EventSource sends the last one as Last-Event-ID (a client that cannot set headers
// may pass ?lastEventId=), and the stream carries on from the next number: nothing skipped, nothing
// repeated. `retry: 1000` asks clients to reconnect after one second.
//
// Run: node --conditions=rx-sse-source --import tsx samples/resume.ts
//      curl -N -H 'Last-Event-ID: 41' http://localhost:8080/numbers
import type { RequestListener } from 'node:http';
import { interval, map, type Observable } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent } from 'rx-sse';
import { isMain, notFound, serve } from './serve.js';

/** Numbers every 500 ms, starting after `ctx.lastEventId` (or at 0). */
export function numbers(ctx: SseContext, period = 500): Observable<SseEvent> {
  if (ctx.lastEventId !== undefined && !/^\d{1,15}$/.test(ctx.lastEventId)) {
    throw new HttpError(400, 'Last-Event-ID must be a number this stream sent');
  }
  const first = ctx.lastEventId === undefined ? 0 : Number(ctx.lastEventId) + 1;
  return interval(period).pipe(map((i) => ({ id: first + i, data: `number ${first + i}` })));
}

const stream = sse(numbers, { retry: 1000 });

export const app: RequestListener = (req, res) => {
  if (new URL(req.url ?? '/', 'http://localhost').pathname === '/numbers') stream(req, res);
  else notFound(res);
};

if (isMain(import.meta.url)) serve(app, 'resume');
