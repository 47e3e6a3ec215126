import type { OutgoingHttpHeaders } from 'node:http';
import { asyncScheduler, isObservable, takeWhile, type Observable, type SchedulerLike } from 'rxjs';
import { checkFunction, checkInteger, checkKeys, checkScheduler } from './check.js';
import { defaultMaxLastEventIdLength, lastEventIdOf } from './context.js';
import { describe } from './encode.js';
import { HttpError } from './errors.js';
import type { SseEvent } from './event.js';
import { streamHeaders, type StreamHeaders } from './headers.js';
import { refusalHead, refusalOf } from './refuse.js';
import { askOnError, isPromiseLike, lastFrame, logError } from './report.js';
import { checkWireOptions, toWire, type WireOptions } from './toWire.js';
import { checkSlowClientPolicy, type SlowClientPolicy } from './writer.js';

/** What a {@link toResponse} handler knows about the request it answers. */
export interface ResponseContext {
  /** `options.request`, when given. */
  request: Request | undefined;
  /** The request's URL, when there is a request. */
  url: URL | undefined;
  /**
   * The `Last-Event-ID` header, else the `lastEventId` query parameter; `undefined` when absent,
   * empty or longer than `maxLastEventIdLength`, or without a request.
   */
  lastEventId: string | undefined;
  /** Aborts once the stream is over: the body was cancelled (the client left), completed or failed. */
  signal: AbortSignal;
}

/** Makes the stream of a {@link toResponse}, directly or as a promise (e.g. after an auth check). */
export type ResponseHandler = (
  ctx: ResponseContext,
) => Observable<SseEvent> | PromiseLike<Observable<SseEvent>>;

/** Options of {@link toResponse}. */
export interface ResponseOptions extends WireOptions {
  /**
   * The request being answered: where `ctx.url` and `ctx.lastEventId` come from, and whose
   * `signal` (aborted by runtimes when the client goes away) also ends the stream. In Hono,
   * `c.req.raw`; in a route handler, its `Request` argument.
   */
  request?: Request | undefined;
  /** Headers added to the head (and to refusals); not `Content-Type` nor connection headers. */
  headers?: StreamHeaders | undefined;
  /**
   * Called once for an error that ends the response (as `sse()`'s): once the body is streaming,
   * the event it returns is the last one. Defaults to logging with `console.error`.
   */
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  onError?: ((error: unknown, ctx: ResponseContext) => SseEvent | undefined | void) | undefined;
  /** Longest `Last-Event-ID` accepted; longer ones count as absent. Defaults to `1024`. */
  maxLastEventIdLength?: number | undefined;
  /**
   * How far (bytes) the reader of the body may fall behind: what waits in the body's queue, and
   * this turn's events not yet in it (so a burst in one turn holds no more). Defaults to
   * `1048576` (1 MiB).
   */
  maxBufferedBytes?: number | undefined;
  /**
   * Past `maxBufferedBytes`, checked as each event comes: `'close'` (the default) errors the body,
   * so the runtime cuts the connection, and lets the source go; `'drop'` skips events from there
   * to the end of the turn, and again whenever the body has no room.
   */
  onSlowClient?: SlowClientPolicy | undefined;
  /** Where heartbeat timers run. Defaults to `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
}

/**
 * Answers a request of a fetch-style runtime (Hono, Bun, Deno, route handlers) with a stream: a
 * web-standard `Response` whose body is a `ReadableStream` of the events in wire format — the same
 * encoder, `retry` preamble and idle heartbeat as {@link sse}.
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
 * ```
 */
export function toResponse(
  source: Observable<SseEvent> | ResponseHandler,
  options: ResponseOptions = {},
): Promise<Response> {
  const setup = checkResponseOptions(source, options);
  const { request } = options;
  const controller = new AbortController();
  const url = request === undefined ? undefined : new URL(request.url);
  // The client may leave while an async handler still works: ctx.signal tells it at once.
  const requestSignal = request?.signal;
  if (requestSignal?.aborted === true) controller.abort();
  else if (requestSignal !== undefined) {
    const forward = (): void => {
      controller.abort();
    };
    requestSignal.addEventListener('abort', forward, { once: true });
    controller.signal.addEventListener(
      'abort',
      () => {
        requestSignal.removeEventListener('abort', forward);
      },
      { once: true },
    );
  }
  const ctx: ResponseContext = {
    request,
    url,
    lastEventId: lastEventIdOf(request?.headers.get('last-event-id'), url, setup.maxIdLength),
    signal: controller.signal,
  };

  /** An answer instead of a stream: the status of an HttpError, else a plain 500. */
  const refusal = (error: unknown): Response => {
    controller.abort();
    if (!(error instanceof HttpError)) askOnError(setup.onError, error, ctx);
    const { status, body, headers } = refusalOf(error);
    const head = new Headers();
    setAll(head, setup.extra);
    setAll(head, headers);
    if (body !== undefined) setAll(head, refusalHead);
    return new Response(body ?? null, { status, headers: head });
  };

  const answer = (stream: unknown): Response => {
    if (!isObservable(stream)) {
      return refusal(
        new TypeError(
          `toResponse: the handler returned ${describe(stream)}, not an Observable of events`,
        ),
      );
    }
    // The client left while the handler worked: nothing to subscribe for, no one to answer.
    if (controller.signal.aborted) return new Response(null, { status: 204 });
    return openStream(stream as Observable<SseEvent>, setup, ctx, controller, refusal);
  };

  if (typeof source !== 'function') return Promise.resolve(answer(source));
  try {
    const made = source(ctx);
    if (isObservable(made) || !isPromiseLike(made)) return Promise.resolve(answer(made));
    return Promise.resolve(made).then(answer, refusal);
  } catch (error) {
    return Promise.resolve(refusal(error));
  }
}

/** {@link ResponseOptions} checked, with every default filled in. */
interface ResponseSetup {
  wire: ReturnType<typeof toWire>;
  encodeOptions: ReturnType<typeof checkWireOptions>['encodeOptions'];
  head: Headers;
  extra: OutgoingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  onError: (error: unknown, ctx: ResponseContext) => SseEvent | undefined | void;
  maxIdLength: number;
  bound: number;
  policy: SlowClientPolicy;
}

const optionKeys: Record<keyof ResponseOptions, true> = {
  retry: true,
  heartbeat: true,
  serialize: true,
  request: true,
  headers: true,
  onError: true,
  maxLastEventIdLength: true,
  maxBufferedBytes: true,
  onSlowClient: true,
  scheduler: true,
};
const optionNames: ReadonlySet<string> = new Set(Object.keys(optionKeys));

function checkResponseOptions(source: unknown, options: ResponseOptions): ResponseSetup {
  const caller = 'toResponse';
  if (typeof source !== 'function' && !isObservable(source)) {
    throw new TypeError(
      `${caller}: the source must be an Observable of events or a handler that returns one (got ${describe(source)})`,
    );
  }
  checkKeys(caller, options, optionNames);
  const {
    request,
    onError = logError,
    maxLastEventIdLength = defaultMaxLastEventIdLength,
    maxBufferedBytes = 1024 * 1024,
    onSlowClient = 'close',
    scheduler = asyncScheduler,
  } = options;
  const candidate = request as Partial<Request> | undefined;
  if (
    request !== undefined &&
    (typeof candidate?.url !== 'string' || typeof candidate.headers?.get !== 'function')
  ) {
    throw new TypeError(
      `${caller}: options.request must be the Request being answered (got ${describe(request)})`,
    );
  }
  if (request !== undefined && !URL.canParse(request.url)) {
    throw new TypeError(
      `${caller}: options.request.url must be an absolute URL (got ${JSON.stringify(request.url)})`,
    );
  }
  const { encodeOptions } = checkWireOptions(options, caller);
  checkFunction(caller, 'options.onError', onError);
  checkInteger(caller, 'options.maxLastEventIdLength', maxLastEventIdLength);
  checkInteger(caller, 'options.maxBufferedBytes', maxBufferedBytes);
  checkSlowClientPolicy(caller, onSlowClient);
  checkScheduler(caller, 'options.scheduler', scheduler);
  const heads = streamHeaders(options.headers, {}, caller);
  const head = new Headers();
  setAll(head, heads.plain);
  return {
    wire: toWire(options, scheduler),
    encodeOptions,
    head,
    extra: heads.extra,
    onError,
    maxIdLength: maxLastEventIdLength,
    bound: maxBufferedBytes,
    policy: onSlowClient,
  };
}

/** Why a body errors under the `close` policy. */
function tooSlow(bound: number): Error {
  return new Error(
    `rx-sse: the reader of the body fell more than maxBufferedBytes (${bound}) behind`,
  );
}

/** Sets each header of `record` on `headers`, replacing what was there; a list is several values. */
function setAll(
  headers: Headers,
  record: Readonly<Record<string, string | number | readonly string[] | undefined>>,
): void {
  for (const [name, value] of Object.entries(record)) {
    if (value === undefined) continue;
    headers.delete(name);
    for (const item of [value].flat()) headers.append(name, String(item));
  }
}

/**
 * Subscribes, and answers with the stream unless it failed within the synchronous window of
 * subscribe (then the answer is a status). Frames of one turn are joined into one chunk; the
 * body's queue and that chunk are bounded by `maxBufferedBytes` together.
 *
 * Each frame is checked as it comes, so a burst in one turn is not held whole before it is
 * refused: by its length, as counting its UTF-8 bytes would cost a pass over it without
 * `Buffer`. A length is never more than the bytes, so past the bound by length is past it; a
 * turn within it by length but not by bytes (text far from ASCII) is caught when it is encoded,
 * at three times the bound at most.
 */
function openStream(
  stream: Observable<SseEvent>,
  setup: ResponseSetup,
  ctx: ResponseContext,
  controller: AbortController,
  refusal: (error: unknown) => Response,
): Response {
  const encoder = new TextEncoder();
  let body: ReadableStreamDefaultController<Uint8Array> | undefined;
  let pending = '';
  let scheduled = false;
  /**
   * Under `drop`, a frame was refused: the rest of the turn is skipped too, until the turn's
   * frames are flushed, so a later, smaller frame never overtakes a dropped one.
   */
  let skipping = false;
  let done = false;
  let early: { error: unknown } | 'complete' | undefined;
  let subscribing = true;
  /** Cut under the `close` policy while subscribing: the body errors as soon as it exists. */
  let cutEarly = false;

  const letGo = (): void => {
    try {
      subscription.unsubscribe();
    } catch (error) {
      askOnError(setup.onError, error, ctx);
    }
  };

  /** Stops everything the stream holds, once: the subscription, the signal, the listener. */
  const finish = (): void => {
    if (done) return;
    done = true;
    pending = '';
    ctx.signal.removeEventListener('abort', onAbort);
    controller.abort();
    // While subscribing there is no subscription yet: it is let go once subscribe() returns.
    if (!subscribing) letGo();
  };

  /** The reader is too far behind under the `close` policy: the body errors, the runtime cuts. */
  const cut = (): void => {
    const open = body;
    finish();
    if (open === undefined) cutEarly = true;
    else open.error(tooSlow(setup.bound));
  };

  const flush = (): void => {
    scheduled = false;
    skipping = false;
    if (done || body === undefined || pending === '') return;
    const chunk = encoder.encode(pending);
    pending = '';
    if (chunk.byteLength > (body.desiredSize ?? Infinity)) {
      if (setup.policy === 'close') cut();
      return;
    }
    body.enqueue(chunk);
  };

  /** Ends the body after whatever is queued and `last`. */
  const end = (last?: string): void => {
    if (done) return;
    const rest = pending + (last ?? '');
    const open = body;
    finish();
    if (open === undefined) return;
    if (rest !== '') open.enqueue(encoder.encode(rest));
    open.close();
  };

  /** The request was aborted (the client left): the body ends here. */
  const onAbort = (): void => {
    const open = body;
    finish();
    try {
      open?.close();
    } catch {
      // Already closed or errored by the runtime: nothing left to end.
    }
  };

  // `takeWhile` lets a source go at its next frame when it is cut within subscribe(), before
  // there is a subscription to end; a synchronous burst stops being pulled there.
  const subscription = stream
    .pipe(
      setup.wire,
      takeWhile(() => !done),
    )
    .subscribe({
      next: (frame) => {
        if (done || skipping) return;
        // What the turn's frames must fit in: the body's room, all of the bound before it exists.
        const room = body === undefined ? setup.bound : (body.desiredSize ?? Infinity);
        const fits = pending.length + frame.length <= room;
        if (!fits && setup.policy === 'close') {
          cut();
          return;
        }
        if (fits) pending += frame;
        else skipping = true;
        if (body !== undefined && !scheduled) {
          scheduled = true;
          queueMicrotask(flush);
        }
      },
      error: (error: unknown) => {
        if (subscribing) early = { error };
        else end(lastFrame(askOnError(setup.onError, error, ctx), setup.encodeOptions));
      },
      complete: () => {
        if (subscribing) early = 'complete';
        else end();
      },
    });
  subscribing = false;
  // Cut while subscribing, as `next` may have; TypeScript cannot see that.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
  if (done) letGo();
  if (early !== undefined && early !== 'complete') {
    const { error } = early;
    finish();
    return refusal(error);
  }
  if (ctx.request?.method === 'HEAD') {
    finish();
    return new Response(null, { status: 200, headers: setup.head });
  }
  const readable = new ReadableStream<Uint8Array>(
    {
      start(opened) {
        body = opened;
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: setup.bound, size: (chunk) => chunk.byteLength },
  );
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set while subscribing
  if (cutEarly) body?.error(tooSlow(setup.bound));
  else if (early === 'complete') end();
  else {
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    flush();
  }
  return new Response(readable, { status: 200, headers: setup.head });
}
