import type { OutgoingHttpHeaders } from 'node:http';
import { whenAttached, type SseRequest, type SseResponse } from './http.js';
import { serveStream, type SseHandler, type StreamConfig } from './connection.js';
import { isPreflight } from './cors.js';
import { HttpError } from './errors.js';
import type { SseEvent } from './event.js';
import { streamHeaders } from './headers.js';
import { LiveStreams } from './liveStreams.js';
import { resolveOptions, type SseOptions } from './options.js';
import { checkInteger } from './check.js';
import { refuse } from './refuse.js';
import { logError } from './report.js';
import { emptyStats, type SseStats } from './stats.js';

export type { SseHandler } from './connection.js';
export type { SseOptions } from './options.js';

/**
 * A node:http request listener (node:http2's compat API too) that is also Connect/Express
 * middleware, with its figures and a shutdown.
 */
export interface SseListener {
  (req: SseRequest, res: SseResponse, next?: (error?: unknown) => void): void;
  /** A snapshot of the listener's live figures. */
  readonly stats: SseStats;
  /**
   * Ends every stream of this listener, for a graceful shutdown: from now on new requests get
   * `503` (with `Retry-After` and `Connection: close`), as do pipelined requests whose turn comes
   * after the stream before them has ended; each open stream is unsubscribed, sent
   * `lastEvent` if given, flushed and ended; nothing is written after. Resolves once every
   * response has finished, or after `timeout` ms, when the ones still flushing (to clients that
   * do not read) are destroyed. Then `server.close()` can finish. Calling it again is harmless.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Options of {@link SseListener.close}. */
export interface CloseOptions {
  /** Sent to every open stream as its last event, e.g. `{ event: 'bye', retry: 5000 }`. Defaults to none. */
  lastEvent?: SseEvent | undefined;
  /** How long (ms) to wait for responses to flush before destroying them. Defaults to `5000`. */
  timeout?: number | undefined;
}

/**
 * Serves the Observable a handler returns as Server-Sent Events over node:http.
 *
 * Per GET request it listens for the client to leave, calls `handler`, subscribes, sends the
 * head at once (so the client's `open` fires before any event), writes each event as it comes,
 * and ends the response when the Observable completes, after every queued byte. When the client
 * goes away it unsubscribes in the same turn and aborts `ctx.signal`. A throw, a rejection or a
 * synchronous error before the head is a real HTTP status ({@link HttpError}'s, else 500). HEAD
 * gets the head the handler's answer would have, without subscribing. Other methods go to `next`
 * when there is one (middleware), else get `405`.
 *
 * A pipelined HTTP/1.1 request (sent on a connection before the response to the one ahead of it
 * has finished) waits for its turn: its handler is not called, and it counts in no figure and no
 * limit, until node hands its response the connection. If the client leaves first, it is dropped.
 * At most 16 wait on one connection: a 17th destroys the connection, dropping them all, since a
 * stream ahead of them may never end. To cap requests per connection for the whole server (other
 * routes too), set node's `server.maxRequestsPerSocket`: node answers those past it `503` itself.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import { interval, map, take } from 'rxjs';
 * import { sse } from 'rx-sse';
 *
 * const counter = sse(() => interval(1000).pipe(take(10), map((i) => ({ event: 'counter', data: i }))));
 * createServer(counter).listen(8080);
 * // curl localhost:8080 logs, one a second:
 * // event: counter
 * // data: 0
 * ```
 */
export function sse(handler: SseHandler, options: SseOptions = {}): SseListener {
  const resolved = resolveOptions(handler, options);
  const { cors, maxConnections, maxConnectionsPerAddress, addressOf, retryAfter } = resolved;
  const stats = emptyStats();
  const live = new LiveStreams(resolved.heartbeat, resolved.scheduler);
  // Counted only when there is a per-address limit: otherwise it would be work per request for nothing.
  const perAddress = maxConnectionsPerAddress === Infinity ? undefined : new Map<string, number>();
  const closing = new HttpError(503, 'Shutting down', {
    headers: { 'Retry-After': String(retryAfter), Connection: 'close' },
  });
  const config: StreamConfig = {
    ...resolved,
    handler,
    heads: streamHeaders(options.headers, {
      origin: cors?.varies,
      encoding: resolved.compress !== undefined,
    }),
    stats,
    live,
    closing,
  };
  const notAllowed = new HttpError(405, undefined, { headers: { Allow: 'GET, HEAD' } });
  const full = new HttpError(503, 'Too many connections', {
    headers: { 'Retry-After': String(retryAfter) },
  });
  const foreign = new HttpError(403, 'Origin not allowed');
  let closed: Promise<void> | undefined;

  const turnAway = (res: SseResponse, error: unknown): void => {
    stats.refused++;
    refuse(res, error, config.heads.extra);
  };

  const listener = function sseListener(
    req: SseRequest,
    res: SseResponse,
    next?: (error?: unknown) => void,
  ): void {
    let headers: OutgoingHttpHeaders | null = {};
    let address = '';
    try {
      if (cors !== undefined) headers = cors.headersFor(req);
      if (perAddress !== undefined) address = addressOf(req);
    } catch (error) {
      // A user's callback that throws costs this request, never the process.
      stats.errors++;
      logError(error);
      turnAway(res, error);
      return;
    }
    if (cors !== undefined) {
      if (headers === null) {
        turnAway(res, foreign);
        return;
      }
      for (const [name, value] of Object.entries(headers)) {
        if (value !== undefined) res.setHeader(name, value);
      }
      if (isPreflight(req)) {
        res.writeHead(204, cors.preflight);
        res.end();
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (next) next();
      else turnAway(res, notAllowed);
      return;
    }
    // A pipelined request waits for the responses before it to finish, and counts nowhere until
    // then: with 10 GETs in one write, one stream is served at a time, each under the limits
    // and the shutdown as they stand when its turn comes. Past 16 waiting, the connection goes.
    whenAttached(req, res, () => {
      admit(req, res, address);
    });
  };

  /** A GET or HEAD whose response owns its connection: refused if full or closing, else served. */
  const admit = (req: SseRequest, res: SseResponse, address: string): void => {
    if (closed !== undefined) {
      turnAway(res, closing);
      return;
    }
    const fromAddress = perAddress?.get(address) ?? 0;
    if (live.size >= maxConnections || fromAddress >= maxConnectionsPerAddress) {
      turnAway(res, full);
      return;
    }
    if (perAddress === undefined) {
      serveStream(req, res, config, noop);
      return;
    }
    perAddress.set(address, fromAddress + 1);
    serveStream(req, res, config, () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  };

  const close = (closeOptions: CloseOptions = {}): Promise<void> => {
    const { lastEvent, timeout = 5000 } = closeOptions;
    checkInteger('sse', 'close() options.timeout', timeout, 0);
    if (timeout !== Infinity && timeout > 2 ** 31 - 1) {
      throw new TypeError(
        `sse: close() options.timeout must be at most 2147483647 ms, or Infinity to wait for ever (got ${timeout})`,
      );
    }
    if (closed !== undefined) return closed;
    const streams = [...live];
    for (const stream of streams) stream.shutdown(lastEvent);
    closed = settle(
      streams.map((stream) => stream.res),
      timeout,
    );
    return closed;
  };

  return Object.defineProperties(listener, {
    stats: { get: () => ({ ...stats }), enumerable: true },
    close: { value: close, enumerable: true },
  }) as SseListener;
}

/** Resolves once every response has finished; destroys those still going after `timeout` ms. */
function settle(responses: SseResponse[], timeout: number): Promise<void> {
  const waiting = responses.filter((res) => !res.writableFinished && !res.destroyed);
  if (waiting.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    let left = waiting.length;
    const timer =
      timeout === Infinity
        ? undefined
        : setTimeout(() => {
            for (const res of waiting) res.destroy();
          }, timeout);
    const done = (): void => {
      if (--left === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const res of waiting) {
      let counted = false;
      const once = (): void => {
        if (counted) return;
        counted = true;
        done();
      };
      res.once('finish', once);
      res.once('close', once);
    }
  });
}

function noop(): void {
  // Nothing to release when addresses are not counted.
}
