import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { RequestContext } from '../node/context.js';
import type { SseContext, SseRequest } from '../types.js';

/** What {@link testContext} builds a request from. Every field is optional. */
export interface TestContextInit {
  /** The request path and query. Defaults to `'/'`. */
  url?: string | undefined;
  /** Request headers; names are case-insensitive. Defaults to `{ host: 'localhost' }`. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Sent as the `Last-Event-ID` header. Defaults to none. */
  lastEventId?: string | undefined;
  /** The request method. Defaults to `'GET'`. */
  method?: string | undefined;
  /** The request body, for `ctx.text()` and `ctx.json()`. Defaults to none (`''`). */
  body?: string | undefined;
}

/** A context for unit tests, with a way to play the client going away. */
export interface TestContext extends SseContext {
  /** A node request with the given URL and headers (a test context stands for the node door). */
  req: SseRequest;
  /**
   * Aborts `signal`, as a departing client would (or the stream's end would).
   * @param reason The signal's `reason`. Defaults to an `AbortError` `DOMException`.
   */
  abort(reason?: unknown): void;
}

/**
 * Builds the {@link SseContext} a handler would get for a request (a GET unless `init.method` says
 * otherwise), without a server or a socket, so handlers can be called directly in unit and marble
 * tests.
 *
 * ## Example
 * ```ts
 * import { testContext } from 'rx-sse/testing';
 *
 * const ctx = testContext({ url: '/events?room=1', lastEventId: '41' });
 * console.log(ctx.url.searchParams.get('room'), ctx.lastEventId);
 * // Logs: 1 41
 * ```
 *
 * @param init The request's URL, headers, Last-Event-ID, method and body; all optional.
 * @returns A context of the node door (its `req` is a node `IncomingMessage`), with `abort()`.
 */
export function testContext(init: TestContextInit = {}): TestContext {
  const req = new IncomingMessage(new Socket());
  req.method = init.method ?? 'GET';
  req.url = init.url ?? '/';
  req.httpVersion = '1.1';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  const headers: Record<string, string> = { host: 'localhost' };
  for (const [name, value] of Object.entries(init.headers ?? {}))
    headers[name.toLowerCase()] = value;
  if (init.lastEventId !== undefined) headers['last-event-id'] = init.lastEventId;
  req.headers = headers;
  // The body, whole, then its end: ctx.text() reads it as a server's request.
  if (init.body !== undefined && init.body !== '') req.push(Buffer.from(init.body));
  req.push(null);
  const ctx = new RequestContext(req);
  return Object.assign(ctx, {
    abort: (reason?: unknown) => {
      ctx.end(reason);
    },
  });
}
