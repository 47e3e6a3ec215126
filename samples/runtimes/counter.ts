// The stream that bun.ts, deno.ts and worker.ts serve, written once for every fetch runtime: it
// uses nothing but rxjs, rx-sse and web-standard Request/Response.
//
//   GET /events?token=T   `counter` events, id and data 0, 1, 2 (`?count=N` for N of them), one
//                         every second (`?every=MS`), then quiet — kept open by heartbeats — until
//                         the client leaves. Resumes after the Last-Event-ID a reconnecting client
//                         sends. Without a token: 401.
//   GET /torn             how many of those streams have been torn down so far: each client that
//                         leaves unsubscribes its Observable, and finalize() counts it here.
import { concat, finalize, map, NEVER, timer, take, type Observable } from 'rxjs';
import { HttpError, type SseEvent } from 'rx-sse';

/** What the handler reads of its context: `sse()`'s fetch door and `toResponse` both give it. */
export interface CounterContext {
  url: URL | undefined;
  lastEventId: string | undefined;
}

/** A fetch handler: `listener.fetch`, or `(request) => toResponse(handler, { request })`. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

let torn = 0;

export function counter(ctx: CounterContext): Observable<SseEvent> {
  const params = ctx.url?.searchParams;
  // A real service would look the token up; the sample only needs one to be there.
  if (!params?.get('token')) throw new HttpError(401, 'no token');
  const count = Number(params.get('count') ?? 3);
  const every = Number(params.get('every') ?? 1000);
  if (!Number.isInteger(count) || count < 0 || !Number.isInteger(every) || every < 0) {
    throw new HttpError(400, 'count and every must be whole numbers');
  }
  const first = /^\d{1,15}$/.test(ctx.lastEventId ?? '') ? Number(ctx.lastEventId) + 1 : 0;
  return concat(
    timer(every, every).pipe(
      take(Math.max(count - first, 0)),
      map((i) => ({ event: 'counter', id: first + i, data: first + i })),
    ),
    NEVER,
  ).pipe(finalize(() => (torn += 1)));
}

/** The sample's routes around the stream: `/events` is `events`, `/torn` the count. */
export function routes(events: FetchHandler): FetchHandler {
  return (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/events') return events(request);
    if (pathname === '/torn') return new Response(String(torn));
    return new Response('not found\n', { status: 404 });
  };
}

/** Milliseconds of quiet before a heartbeat comment, from an environment variable. */
export function heartbeatFrom(value: string | undefined): number {
  return value === undefined || value === '' ? 15_000 : Number(value);
}
