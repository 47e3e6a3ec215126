import type { ZlibOptions } from 'node:zlib';
import { checkCompress, type CompressOptions } from './compress.js';
import type { SseRequest } from './http.js';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { EndReason, ErrorHook, SseHandler } from './connection.js';
import { logError } from './report.js';
import { checkFunction, checkInteger, checkKeys, checkScheduler } from './check.js';
import { defaultMaxLastEventIdLength, type SseContext } from './context.js';
import { corsPolicy, type CorsOptions, type CorsPolicy } from './cors.js';
import { describe, type EncodeOptions } from './encode.js';
import type { StreamHeaders } from './headers.js';
import { checkWireOptions, type WireOptions } from './toWire.js';
import { checkSlowClientPolicy, type SlowClientPolicy, type WriterLimits } from './writer.js';

/** Options of {@link sse}. */
export interface SseOptions extends WireOptions {
  /**
   * Headers added to every stream's head, and to every refusal (so CORS headers reach a client
   * that is refused). One may replace a default header, but not `Content-Type`. Defaults to none.
   */
  headers?: StreamHeaders | undefined;
  /**
   * Called once for an error that ends a request: a handler that threw or rejected (with anything
   * but an {@link HttpError}), returned something that is not an Observable, or a stream that
   * errored. After the stream has opened, the event it returns (if any) is sent as the last one —
   * e.g. `{ event: 'error', data: 'try again later' }`. Before, the client gets a 500 whatever it
   * returns. Defaults to logging the error with `console.error` and sending the client nothing.
   */
  onError?: ErrorHook | undefined;
  /** Longest `Last-Event-ID` accepted from a client; longer ones count as absent. Defaults to `1024`. */
  maxLastEventIdLength?: number | undefined;
  /**
   * A `:` comment goes out on a stream that has written nothing for a while, so that proxies
   * and load balancers keep it open and a dead client is noticed: one sweep per listener every
   * quarter of this period sends it to each stream idle for ¾ to all of the period, so no stream
   * is silent for longer (timers willing). Every frame resets the wait. Defaults to `15000` ms;
   * `false` disables.
   */
  heartbeat?: number | false | undefined;
  /** Where the heartbeat sweep runs. Defaults to `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
  /**
   * How far (bytes) a client may fall behind: node's buffer for it, what waits for `'drain'` and
   * this turn's events not yet written — checked as each event comes, so a burst emitted in one
   * turn holds no more than this either. Defaults to `1048576` (1 MiB), so 10,000 stalled clients
   * hold at most ~10 GiB; a large fan-out may want less.
   */
  maxBufferedBytes?: number | undefined;
  /**
   * What happens to a client past `maxBufferedBytes`. `'close'` (the default) cuts the connection
   * at the event that would pass it, and lets the stream's source go (a synchronous burst stops
   * being pulled): the client reconnects with Last-Event-ID and catches up from your history,
   * instead of the server holding an ever-growing backlog. `'drop'` skips that event and every one
   * after it until the client catches up — the end of the turn, or `'drain'` — so no later event
   * overtakes a dropped one (counted in `stats.dropped`): for streams where only the latest value
   * matters.
   */
  onSlowClient?: SlowClientPolicy | undefined;
  /**
   * Most requests this listener serves at once (open streams, and handlers still working). Past
   * it: `503` with `Retry-After`, no stream. A pipelined HTTP/1.1 request waiting for the one
   * before it to finish counts only once its turn comes. Defaults to no limit.
   */
  maxConnections?: number | undefined;
  /** Most at once from one address (see `addressOf`). Past it: `503`. Defaults to no limit. */
  maxConnectionsPerAddress?: number | undefined;
  /**
   * The address `maxConnectionsPerAddress` counts by. Defaults to `req.socket.remoteAddress`; behind
   * a proxy, derive it from a header your proxy sets (and that clients cannot forge).
   */
  addressOf?: ((req: SseRequest) => string) | undefined;
  /** `Retry-After` (s) sent with a `503` for a limit. Defaults to `5`. */
  retryAfter?: number | undefined;
  /** Cross-origin access: see {@link CorsOptions}. Defaults to none (no CORS headers are sent). */
  cors?: CorsOptions | undefined;
  /**
   * gzip streams for clients that accept it (`Accept-Encoding`), each turn's events flushed at
   * once so none is held back. Costs CPU and ~256 KiB of zlib state per compressed stream at the
   * defaults (see {@link CompressOptions} to trade ratio for memory); pays off for large, repetitive
   * events (JSON) over slow or metered links. Defaults to `false`.
   */
  compress?: boolean | CompressOptions | undefined;
  /** Called when a stream opens (its head is out). A hook that throws is logged and ignored. */
  onConnect?: ((ctx: SseContext) => void) | undefined;
  /** Called once when an open stream ends, with why. A hook that throws is logged and ignored. */
  onDisconnect?: ((ctx: SseContext, reason: EndReason) => void) | undefined;
}

/** {@link SseOptions} checked, with every default filled in. */
export interface ResolvedOptions {
  /** The heartbeat period in ms, or `false`. */
  heartbeat: number | false;
  scheduler: SchedulerLike;
  encodeOptions: EncodeOptions;
  preamble: string | undefined;
  onError: ErrorHook;
  maxLastEventIdLength: number;
  limits: WriterLimits;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  addressOf: (req: SseRequest) => string;
  retryAfter: number;
  cors: CorsPolicy | undefined;
  compress: ZlibOptions | undefined;
  onConnect: ((ctx: SseContext) => void) | undefined;
  onDisconnect: ((ctx: SseContext, reason: EndReason) => void) | undefined;
}

/**
 * Checks `sse()`'s arguments once, at setup: every mistake throws a `TypeError` that names the
 * option, before any client connects.
 */
export function resolveOptions(handler: SseHandler, options: SseOptions): ResolvedOptions {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `sse: the handler must be a function from a context to an Observable (got ${describe(handler)})`,
    );
  }
  const {
    onError = logError,
    maxLastEventIdLength = defaultMaxLastEventIdLength,
    scheduler = asyncScheduler,
    maxBufferedBytes = 1024 * 1024,
    onSlowClient = 'close',
    maxConnections = Infinity,
    maxConnectionsPerAddress = Infinity,
    addressOf = remoteAddress,
    retryAfter = 5,
    onConnect,
    onDisconnect,
  } = options;
  checkKeys('sse', options, optionNames);
  const { heartbeat, encodeOptions, preamble } = checkWireOptions(options, 'sse');
  checkScheduler('sse', 'options.scheduler', scheduler);
  for (const [name, fn] of Object.entries({ onError, addressOf, onConnect, onDisconnect })) {
    checkFunction('sse', `options.${name}`, fn);
  }
  checkInteger('sse', 'options.maxLastEventIdLength', maxLastEventIdLength);
  checkInteger('sse', 'options.maxBufferedBytes', maxBufferedBytes);
  checkInteger('sse', 'options.maxConnections', maxConnections);
  checkInteger('sse', 'options.maxConnectionsPerAddress', maxConnectionsPerAddress);
  checkInteger('sse', 'options.retryAfter', retryAfter, 0);
  checkSlowClientPolicy('sse', onSlowClient);
  return {
    heartbeat,
    scheduler,
    encodeOptions,
    preamble,
    onError,
    maxLastEventIdLength,
    limits: { maxBufferedBytes, onSlowClient },
    maxConnections,
    maxConnectionsPerAddress,
    addressOf,
    retryAfter,
    cors: options.cors === undefined ? undefined : corsPolicy(options.cors),
    compress: checkCompress('sse', options.compress),
    onConnect,
    onDisconnect,
  };
}

/** Every key of {@link SseOptions}, checked complete by the compiler; anything else is refused. */
const optionKeys: Record<keyof SseOptions, true> = {
  retry: true,
  heartbeat: true,
  serialize: true,
  headers: true,
  onError: true,
  maxLastEventIdLength: true,
  scheduler: true,
  maxBufferedBytes: true,
  onSlowClient: true,
  maxConnections: true,
  maxConnectionsPerAddress: true,
  addressOf: true,
  retryAfter: true,
  cors: true,
  compress: true,
  onConnect: true,
  onDisconnect: true,
};
const optionNames: ReadonlySet<string> = new Set(Object.keys(optionKeys));

function remoteAddress(req: SseRequest): string {
  return req.socket.remoteAddress ?? '';
}
