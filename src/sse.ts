import { Admission } from './engine/admission.js';
import { fetchDoor, type FetchDoor } from './fetch/fetchDoor.js';
import { nodeDoor } from './node/nodeDoor.js';
import type { CloseOptions, SseOptions } from './options.js';
import type { SseHandler, SseRequest, SseResponse, SseStats } from './types.js';

/**
 * A node:http request listener (node:http2's compat API too) that is also Connect/Express
 * middleware, and, as `fetch`, a fetch runtime's handler: two doors to one set of streams, with
 * one set of figures, limits and one shutdown.
 */
export interface SseListener {
  /**
   * The node door: serves one request, as `createServer(listener)`, `app.use(path, listener)` or
   * `app.get(path, listener)` call it. Returns at once; the stream lives on in `res`.
   *
   * @param req The request, node:http's or node:http2's compat API's.
   * @param res Its response, which the listener writes and ends.
   * @param next Connect/Express's `next`: a request with a method the listener does not serve goes
   *   there (instead of a `405`). Never called with an error: errors are answered, not passed on.
   */
  (req: SseRequest, res: SseResponse, next?: (error?: unknown) => void): void;
  /**
   * The fetch door: answers a fetch `Request` (Bun, Deno, Cloudflare Workers, Hono, route
   * handlers) with the same handler, options, limits, CORS, figures and shutdown as the node door.
   * The promise resolves with the stream's `200` once the head would go out (the body then carries
   * the events), or with a refusal. `platform` is what the runtime passes after the request (Bun's
   * `server`, Deno's `info`); only `options.fetchAddressOf` sees it. A plain function: pass it as it is
   * (`Bun.serve({ fetch: listener.fetch })`, `Deno.serve(listener.fetch)`).
   *
   * @throws {TypeError} on reading `listener.fetch` (where it is wired into a runtime) when the
   * listener was made with `compress` (gzip is the node door's), or with `maxConnectionsPerAddress`
   * but no `fetchAddressOf` (a fetch request has no socket address).
   * @param request The request to answer.
   * @param platform What the runtime passes after the request, for `options.fetchAddressOf`.
   * @returns The response: a `200` whose body is the stream, or a refusal (an {@link HttpError}'s
   *   status, `403`, `405`, `503`, …) with a `text/plain` body.
   */
  readonly fetch: (request: Request, platform?: unknown) => Promise<Response>;
  /** A snapshot of the listener's live figures, both doors together. */
  readonly stats: SseStats;
  /**
   * Ends every stream of this listener, on both doors, for a graceful shutdown: from now on new requests get
   * `503` (with `Retry-After` and `Connection: close`), as do pipelined requests whose turn comes
   * after the stream before them has ended; each open stream is unsubscribed, sent
   * `lastEvent` if given, flushed and ended; nothing is written after. Resolves once every
   * response has finished, or after `timeout` ms, when the ones still flushing (to clients that
   * do not read) are destroyed. Then `server.close()` can finish. Calling it again is harmless.
   * On the fetch door "finished" means the body is closed with every byte handed to the runtime,
   * which may still be writing them: stop the runtime's server (`server.close()`, Bun's
   * `server.stop()`, Deno's `server.shutdown()`) and let it finish before the process exits.
   *
   * @param options The last event to send, and how long to wait (ms). Defaults to none and `5000`.
   * @returns A promise that resolves (never rejects) once every response has ended.
   * @throws {TypeError} for a `timeout` that is not a non-negative integer of ms (at most
   *   2147483647) or `Infinity`.
   */
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Serves the Observable a handler returns as Server-Sent Events over node:http.
 *
 * Per GET request it listens for the client to leave, calls `handler`, subscribes, sends the
 * head at once (so the client's `open` fires before any event), writes each event as it comes,
 * and ends the response when the Observable completes, after every queued byte. `listener.fetch`
 * serves fetch runtimes the same way (see {@link SseListener.fetch}). When the client
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
 *
 * @param handler Makes each request's stream from its {@link SseContext}: an `Observable` of
 *   {@link SseEvent}s, or a promise of one (to check the request first).
 * @param options Limits, headers, CORS, hooks and the wire format; all optional. See
 *   {@link SseOptions}.
 * @returns The listener: a node:http request listener and middleware, with a fetch door, live
 *   figures and a graceful `close()`.
 * @throws {TypeError} at the call, naming the option, for a handler that is not a function or any
 *   option of the wrong type, range or name (an unknown option is taken for a typo), a header
 *   HTTP cannot carry, or a method that cannot be a stream's (`OPTIONS`, `CONNECT`, `TRACE`).
 */
export function sse(handler: SseHandler, options: SseOptions = {}): SseListener {
  const admission = new Admission(handler, options);
  let fetch: FetchDoor | undefined;
  return Object.defineProperties(nodeDoor(admission), {
    // Made when first read, so that a listener only ever served by node never pays for it, and
    // one the fetch door cannot serve as configured fails where it is wired (see fetchDoor).
    fetch: { get: () => (fetch ??= fetchDoor(admission)), enumerable: false },
    stats: { get: () => ({ ...admission.stats }), enumerable: true },
    close: {
      value: (closeOptions?: CloseOptions) => admission.close(closeOptions),
      enumerable: true,
    },
  }) as SseListener;
}
