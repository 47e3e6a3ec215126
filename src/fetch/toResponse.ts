import type { Observable, SchedulerLike } from 'rxjs';
import { HttpError } from '../errors.js';
import { LiveStreams } from '../engine/liveStreams.js';
import { resolveResponse } from '../engine/settings.js';
import { emptyStats } from '../engine/stats.js';
import { Stream } from '../engine/stream.js';
import type { ResponseOptions } from '../options.js';
import type { ResponseContext, ResponseHandler, SseEvent } from '../types.js';
import { FetchRequest } from './fetchDoor.js';
import { headerEntries } from './webHeaders.js';
import { WebSink } from './webSink.js';

/**
 * Answers a request of a fetch-style runtime (Hono, Bun, Deno, route handlers) with a stream: a
 * web-standard `Response` whose body is a `ReadableStream` of the events in wire format — on the same
 * engine as {@link sse}'s listener (whose `listener.fetch` is this door with limits, CORS, stats and
 * `close()`): the same encoder, `retry` preamble, heartbeat sweep, byte bound and teardown.
 *
 * `source` is an Observable or a handler called with a {@link ResponseContext}. A handler that
 * throws or rejects, or an Observable that errors synchronously on subscribe, is a real status
 * ({@link HttpError}'s, else 500) and no stream. Otherwise the promise resolves at once to a `200`
 * whose body carries each event as it comes (events of one turn leave as one chunk), ends when the
 * Observable completes, and — when the body is cancelled (the client left) or `request.signal`
 * aborts — unsubscribes and aborts `ctx.signal`. For `HEAD` the body is `null`.
 *
 * Bad arguments throw a `TypeError` at the call, naming what was wrong.
 *
 * ## Example
 * ```ts
 * import { Hono } from 'hono';
 * import { interval, map, take } from 'rxjs';
 * import { toResponse } from 'rx-sse';
 *
 * const app = new Hono();
 * app.get('/counter', (c) =>
 *   toResponse(interval(1000).pipe(take(10), map((i) => ({ event: 'counter', data: i }))), {
 *     request: c.req.raw,
 *   }),
 * );
 * export default app;
 * ```
 *
 * @param source The stream: an `Observable` of {@link SseEvent}s, or a handler that makes one
 *   (directly or as a promise) from a {@link ResponseContext}.
 * @param options The request being answered, headers and the wire format; all optional. See
 *   {@link ResponseOptions}.
 * @returns A promise of the `Response`: a `200` with the stream as its body, or a refusal with a
 *   `text/plain` body. It does not reject: a failing handler is a status.
 * @throws {TypeError} at the call, naming what is wrong, for a `source` that is neither an
 *   Observable nor a function, or an option of the wrong type, range or name.
 */
export function toResponse(
  source: Observable<SseEvent> | ResponseHandler,
  options: ResponseOptions = {},
): Promise<Response> {
  const settings = resolveResponse<ResponseContext>(source, options);
  const { request } = options;
  const { heads } = settings;
  const sink = new WebSink(
    request,
    headerEntries(heads.plain),
    [heads.extra],
    settings.limits.maxBufferedBytes,
  );
  const config = {
    handler: typeof source === 'function' ? source : () => source,
    encodeOptions: settings.encodeOptions,
    onError: settings.onError,
    limits: settings.limits,
    preamble: settings.preamble,
    // One request's figures: nobody reads them, but the engine keeps them as for a listener's.
    stats: emptyStats(),
    live: sweepFor(settings.scheduler, settings.heartbeat),
    onConnect: undefined,
    onDisconnect: undefined,
    // Never sent: nothing shuts a toResponse() stream down but its client or its source.
    closing: notClosing,
  };
  new Stream(
    sink,
    new FetchRequest<ResponseContext>(request, settings.maxLastEventIdLength),
    config,
    noop,
  ).serve();
  return sink.response;
}

const notClosing = new HttpError(503);

/**
 * The heartbeat sweeps of `toResponse()` streams, one per scheduler and period, so that streams
 * made one call at a time still share a timer as a listener's do. A sweep stops when its last
 * stream ends.
 */
const sweeps = new WeakMap<SchedulerLike, Map<number | false, LiveStreams>>();

function sweepFor(scheduler: SchedulerLike, heartbeat: number | false): LiveStreams {
  let byPeriod = sweeps.get(scheduler);
  if (byPeriod === undefined) {
    byPeriod = new Map();
    sweeps.set(scheduler, byPeriod);
  }
  let live = byPeriod.get(heartbeat);
  if (live === undefined) {
    live = new LiveStreams(heartbeat, scheduler);
    byPeriod.set(heartbeat, live);
  }
  return live;
}

function noop(): void {
  // toResponse() counts no addresses.
}
