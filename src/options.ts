// The public option interfaces of rx-sse's core, in one place; ./engine/settings.ts checks them and
// fills in the defaults these comments state. Types only: nothing here runs.
import type { SchedulerLike } from 'rxjs';
import type {
  EndReason,
  ErrorHook,
  HttpHeaders,
  ResponseContext,
  SlowClientPolicy,
  SseContext,
  SseEvent,
  SseRequest,
} from './types.js';

/** Options of `encode`. */
export interface EncodeOptions {
  /**
   * Turns `data` that is not a string into text. It may return several lines; each becomes its
   * own `data:` line and the client joins them back with `\n`. Defaults to `JSON.stringify`.
   * @param data The event's `data`, when it is not a string.
   * @returns The text to send. Throwing, or returning anything but a string, is a refusal of the
   *   event: an `SseEventError` whose `field` is `'data'`.
   */
  serialize?: ((data: unknown) => string) | undefined;
}

/** Options of `toWire`: what goes on the wire besides the events themselves. */
export interface WireOptions extends EncodeOptions {
  /**
   * A reconnection delay in ms, sent once as `retry: N` when the stream opens. Defaults to none
   * (the client keeps its own default, about 3 s in browsers).
   */
  retry?: number | undefined;
  /**
   * A `:` comment goes out on a stream that has written nothing for this many ms, so that proxies
   * and load balancers keep it open and a dead client is noticed. Every frame resets the wait. A
   * server sweeps its streams every quarter of the period, so the first heartbeat after a frame
   * comes after ¾ to all of it, then one every period while the stream stays idle (each late by
   * however late its sweep runs). Defaults to `15000` ms; `false` disables.
   */
  heartbeat?: number | false | undefined;
}

/** What `sse()` and `toResponse()` both take, and mean the same by on both doors. */
export interface ServeOptions<C> extends WireOptions {
  /**
   * Headers added to every stream's head, and to every refusal (so CORS headers reach a client
   * that is refused). One may replace a default header, but not `Content-Type` nor a connection
   * header (`Connection`, `Transfer-Encoding`, …: the server's to manage). Defaults to none.
   */
  headers?: HttpHeaders | undefined;
  /**
   * Called once for an error that ends a request: a handler that threw or rejected (with anything
   * but an `HttpError`), returned something that is not an Observable, or a stream that errored.
   * After the stream has opened, the event it returns (if any) is sent as the last one — e.g.
   * `{ event: 'error', data: 'try again later' }`. Before, the client gets a 500 whatever it
   * returns. Defaults to logging the error with `console.error` and sending the client nothing.
   */
  onError?: ErrorHook<C> | undefined;
  /**
   * Longest `Last-Event-ID` accepted from a client, in characters (UTF-16 code units, as
   * `string.length` counts); longer ones count as absent. Defaults to `1024`.
   */
  maxLastEventIdLength?: number | undefined;
  /** Where the heartbeat sweep runs. Defaults to `asyncScheduler`. */
  scheduler?: SchedulerLike | undefined;
  /**
   * How far (bytes) a client may fall behind: what the runtime holds for it (node's socket buffer
   * and gzip's; a fetch body's unread queue), what waits for room, and this turn's events not yet
   * written — checked as each event comes, so a burst emitted in one turn holds no more than this
   * either. Defaults to `1048576` (1 MiB), so 10,000 stalled clients hold at most ~10 GiB.
   */
  maxBufferedBytes?: number | undefined;
  /**
   * What happens to a client past `maxBufferedBytes`. `'close'` (the default) cuts the connection
   * at the event that would pass it (a fetch body errors, so the runtime cuts it), and lets the
   * stream's source go (a synchronous burst stops being pulled): the client reconnects with
   * Last-Event-ID and catches up from your history. `'drop'` skips that event and every one after
   * it until the client catches up — the end of the turn, or room again — so no later event
   * overtakes a dropped one (counted in `stats.dropped`): for streams where only the latest value
   * matters.
   */
  onSlowClient?: SlowClientPolicy | undefined;
}

/** Options of `sse()`: both doors, node's and fetch's. */
export interface SseOptions extends ServeOptions<SseContext> {
  /**
   * Most requests this listener serves at once, both doors together (open streams, and handlers
   * still working). Past it: `503` with `Retry-After`, no stream. A pipelined HTTP/1.1 request
   * waiting for the one before it to finish counts only once its turn comes. Defaults to no limit.
   */
  maxConnections?: number | undefined;
  /**
   * The request methods served as streams, e.g. `['GET', 'POST']` for a stream that answers a
   * question POSTed to it (read the body with `ctx.text()` or `ctx.json()`). `HEAD` comes with
   * `GET`. Any other method gets `405` with `Allow` naming these (or, as middleware, goes to
   * `next()`); CORS preflights allow these. `OPTIONS`, `CONNECT` and `TRACE` are refused at setup.
   * Defaults to `['GET', 'HEAD']`.
   */
  methods?: readonly string[] | undefined;
  /**
   * Most bytes of a request body that `ctx.text()` and `ctx.json()` read; past it (or a
   * `Content-Length` that says more) they reject with a `413`. Defaults to `1048576` (1 MiB).
   */
  maxBodyBytes?: number | undefined;
  /** Most at once from one address (see `addressOf`). Past it: `503`. Defaults to no limit. */
  maxConnectionsPerAddress?: number | undefined;
  /**
   * The address `maxConnectionsPerAddress` counts by on the node door. Defaults to
   * `req.socket.remoteAddress`; behind a proxy, derive it from a header your proxy sets (and that
   * clients cannot forge). A function that throws costs that request a `500`, never the process.
   * @param req The request.
   * @returns The address to count the request by; `undefined` counts it under one shared
   *   unknown address.
   */
  addressOf?: ((req: SseRequest) => string | undefined) | undefined;
  /**
   * The address `maxConnectionsPerAddress` counts by on the fetch door, which has no socket:
   * `platform` is what the runtime passed to `listener.fetch` after the request — Bun's `server`
   * (`server.requestIP(request)?.address`), Deno's `info` (`info.remoteAddr.hostname`),
   * `@hono/node-server`'s `{ incoming }`. No default: with a per-address limit and without this,
   * `listener.fetch` throws a `TypeError`.
   * @param request The request.
   * @param platform The runtime's second argument to `listener.fetch` (`undefined` if none).
   * @returns The address to count the request by; `undefined` (Bun's `requestIP()` may give
   *   none) counts it under one shared unknown address, as the node door does for a socket without
   *   a `remoteAddress`.
   */
  fetchAddressOf?: ((request: Request, platform: unknown) => string | undefined) | undefined;
  /** `Retry-After` (s) sent with a `503` for a limit or a shutdown. Defaults to `5`. */
  retryAfter?: number | undefined;
  /** Cross-origin access: see {@link CorsOptions}. Defaults to none (no CORS headers are sent). */
  cors?: CorsOptions | undefined;
  /**
   * gzip streams on the node door for clients that accept it (`Accept-Encoding`), each turn's
   * events flushed at once so none is held back. Costs CPU and ~256 KiB of zlib state per
   * compressed stream at the defaults (see {@link CompressOptions}); pays off for large, repetitive
   * events over slow or metered links. Not on the fetch door: a web `CompressionStream` cannot
   * flush per event, so reading `listener.fetch` of a listener with `compress` throws a `TypeError`;
   * make a second listener without it for the fetch door. Defaults to `false`.
   */
  compress?: boolean | CompressOptions | undefined;
  /**
   * Called when a stream opens (its head is out). A hook that throws is logged and ignored.
   * @param ctx The stream's context, as its handler saw it.
   */
  onConnect?: ((ctx: SseContext) => void) | undefined;
  /**
   * Called once when an open stream ends, with why. A hook that throws is logged and ignored.
   * @param ctx The stream's context, as its handler saw it.
   * @param reason Why it ended: `'complete'` (the Observable completed), `'error'` (it errored),
   *   `'client'` (the client went away), `'slow'` (it fell past `maxBufferedBytes` under
   *   `onSlowClient: 'close'`) or `'shutdown'` (`listener.close()`).
   */
  onDisconnect?: ((ctx: SseContext, reason: EndReason) => void) | undefined;
}

/** Options of `toResponse()`: the fetch door for one request. */
export interface ResponseOptions extends ServeOptions<ResponseContext> {
  /**
   * The request being answered: where `ctx.url` and `ctx.lastEventId` come from, and whose
   * `signal` (aborted by runtimes when the client goes away) also ends the stream. In Hono,
   * `c.req.raw`; in a route handler, its `Request` argument.
   */
  request?: Request | undefined;
}

/** Options of `listener.close()`. */
export interface CloseOptions {
  /** Sent to every open stream as its last event, e.g. `{ event: 'bye', retry: 5000 }`. Defaults to none. */
  lastEvent?: SseEvent | undefined;
  /** How long (ms) to wait for responses to flush before destroying them. Defaults to `5000`. */
  timeout?: number | undefined;
}

/**
 * Cross-origin access to a stream, for pages served from another origin. Without it rx-sse sends
 * no CORS header, and a browser page on another origin cannot read the stream.
 */
export interface CorsOptions {
  /**
   * The origins whose pages may read the stream: exact origins (`'https://app.example'`), `'*'`
   * for any page (not with `credentials`), or a function that decides per request (given the
   * node request, or the fetch `Request`). A request from any other origin is refused with `403`
   * before a stream opens. The `Origin` a request sends is only ever echoed back when this allows it.
   * A function is called with the request's `Origin` header and the request (node's on the node
   * door, the fetch `Request` on the fetch door), and returns whether that origin may read the
   * stream; one that throws costs that request a `500`.
   */
  origin:
    | readonly string[]
    | '*'
    | ((
        /** The request's `Origin` header. */
        origin: string,
        /** The request: node's on the node door, the fetch `Request` on the fetch door. */
        req: SseRequest | Request,
      ) => boolean);
  /** Lets the page send cookies (`new EventSource(url, { withCredentials: true })`). Defaults to `false`. */
  credentials?: boolean | undefined;
  /** Request headers a preflight may ask for. Defaults to `['Last-Event-ID', 'Authorization']`. */
  allowHeaders?: readonly string[] | undefined;
  /** Response headers the page may read. Defaults to none. */
  exposeHeaders?: readonly string[] | undefined;
  /** How long (s) a browser may reuse a preflight answer. Defaults to `600`. */
  maxAge?: number | undefined;
}

/**
 * gzip for streams whose clients accept it. Each turn's events are flushed through the
 * compressor at once (a sync flush), so nothing is held back waiting for more to compress.
 * Every option trades memory per connection for ratio: zlib holds about
 * `2^(windowBits + 2) + 2^(memLevel + 9)` bytes per stream — ~256 KiB at the defaults.
 */
export interface CompressOptions {
  /** 1 (fastest) to 9 (smallest). Defaults to `6`. */
  level?: number | undefined;
  /** History window, 9 to 15 (512 B to 32 KiB). Defaults to `15`. */
  windowBits?: number | undefined;
  /** Memory for the compressor's state, 1 to 9. Defaults to `8`. */
  memLevel?: number | undefined;
}
