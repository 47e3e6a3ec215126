import type { SseRequestBody, SseRequestInit } from './sseRequest.js';

/** One message received, as EventSource would dispatch it. */
export interface SseMessage<T = string> {
  /** The event type (`message` unless the server named one). */
  event: string;
  /** The data: text, or what `decode` made of it. */
  data: T;
  /** This event's own id, if it carried one. */
  id: string | undefined;
  /** The last event id in force: sent back as Last-Event-ID when reconnecting. */
  lastEventId: string;
}

/** Options of {@link fromSse}. */
export interface FromSseOptions<T = string> {
  /**
   * Request headers, such as `Authorization`, sent with every request: a record, a `Headers` or
   * pairs. `Cache-Control` and `Last-Event-ID` are the client's own and replace any given, and so is
   * `Accept` (`text/event-stream`) unless the one given names `text/event-stream` among others.
   */
  headers?: ConstructorParameters<typeof Headers>[0] | undefined;
  /**
   * The method of the first request. Defaults to `'GET'`. A stream whose method is not idempotent
   * (RFC 9110 §9.2.2: anything but GET, HEAD, OPTIONS, PUT and DELETE, so POST and PATCH) is never
   * sent again by itself: see `reconnect`.
   */
  method?: string | undefined;
  /**
   * The body of the first request: a string, bytes (an `ArrayBuffer` or a view of one, copied at
   * the call), a `Blob`, `URLSearchParams` or `FormData`. Not a plain object (see `json`), not a
   * `ReadableStream` (it could not be sent again), not with GET or HEAD. Defaults to none.
   */
  body?: SseRequestBody | undefined;
  /**
   * A value to send as the first request's body, as JSON: `JSON.stringify(json)`, with
   * `Content-Type: application/json` unless `headers` names one. Not with `body`. Defaults to none.
   */
  json?: unknown;
  /**
   * The `fetch` every request goes through, called as `fetch(url, init)` with `init` holding
   * `method`, `headers`, `body` and `signal`: for a proxy, refreshing a token, or a test. Defaults
   * to the global `fetch` (looked up at each request).
   * @param url The request's absolute URL.
   * @param init The request's `method`, `headers`, `body` and `signal` (aborted on unsubscribing,
   *   and by `readTimeout`).
   * @returns The response, as `fetch` resolves it; a rejection is taken for a network failure,
   *   and retried.
   */
  fetch?: ((url: string, init: RequestInit) => Promise<Response>) | undefined;
  /**
   * Called with each response (the first and every reconnection's) before `fromSse` checks it:
   * throw, or reject, to refuse it, and the stream errors with your error, as it is, and does not
   * reconnect. Return to let the usual checks run (status 200, `text/event-stream`), so it can read
   * the JSON error body of a 401, or check a header of a 200. Read the body only to refuse: a
   * response accepted with its body read errors with a `TypeError`. Defaults to none.
   * @param response The response, its body unread.
   */
  validate?: ((response: Response) => void | Promise<void>) | undefined;
  /**
   * The request that resumes the stream after it ended or dropped, instead of the first one again:
   * called before each reconnection, its fields replace the first request's — `url` (resolved
   * against the first URL), `method` (defaults to `'GET'`), `body` or `json` (default none), and
   * `headers` (over `options.headers`); `Last-Event-ID` is set as always. Return `undefined` to do
   * what `fromSse` does without it. For an answer the server keeps at its `Location`:
   * `reconnect: ({ location }) => location && { url: location }`. Throwing errors the stream.
   *
   * Without it, a stream whose first method is idempotent sends the first request again; any other
   * (a POST) is never sent twice: a clean end of its response completes the Observable, and a drop
   * (a network failure, a read timeout) errors it with an `SseNotResumableError`.
   * @param context The last event id, the attempt's number, and the first response and its
   *   `Location`.
   * @returns The request to send instead of the first, or `undefined`.
   */
  reconnect?: ((context: SseReconnectContext) => SseRequestInit | undefined) | undefined;
  /**
   * Turns each message's data into a value, such as `JSON.parse`; its result is the message's
   * `data`. Defaults to none: `data` is the text. `fromSse` requires it for any `T` but `string`,
   * and types `data` as `unknown` where it returns `any`. Throwing errors the stream.
   * @param data The event's data: its `data:` lines joined with LF.
   * @returns The message's `data`.
   */
  decode?: ((data: string) => T) | undefined;
  /**
   * The Last-Event-ID to start from. Defaults to none. It must go out as a header value unchanged
   * (RFC 9110 §5.5): no control character but HTAB, and no space or tab at either end.
   */
  lastEventId?: string | undefined;
  /** The wait before reconnecting, in ms, until the server sends `retry:`. Defaults to `3000`. */
  retry?: number | undefined;
  /**
   * The wait before reconnect number `attempt` (1 for the first after a failure), given the
   * server's `retry`. Defaults to `retry` itself, as EventSource does; a success resets `attempt`.
   * Throwing, or returning anything but a number of ms from 0 to 2147483647, errors the stream.
   * @param attempt 1 for the first reconnection since an event arrived, then 2, 3…
   * @param retry The reconnection delay in force, in ms: the server's last `retry:`, else
   *   `options.retry`.
   * @returns The wait, in ms.
   */
  backoff?: ((attempt: number, retry: number) => number) | undefined;
  /**
   * How many times in a row it reconnects with no event arriving in between (network failures,
   * streams that end at once, read timeouts) before it errors with the last failure; `0` never
   * reconnects. Defaults to `Infinity`, as EventSource.
   */
  maxReconnects?: number | undefined;
  /**
   * The most bytes (as received, UTF-8) one event may hold while it is read: its data so far
   * (lines joined with LF), its `event` type, the last event id (kept, and sent back) and the
   * whole line being read (field name included), together; the same wherever the network splits
   * the bytes, and whatever the shape of the stream (many short lines, long comments). Past it the
   * stream errors with an {@link SseTooLargeError}, and does not reconnect: the server would send
   * the same event again. `Infinity` lifts the bound. Defaults to `16777216` (16 MiB): far more
   * than an event meant to be decoded and shown at once, while a server, or anything between,
   * that never ends a line costs a client about that much memory, not all it has.
   */
  maxEventSize?: number | undefined;
  /**
   * How long, in ms, the connection may go without a byte arriving (the head included) before it
   * is taken for dropped and reconnected: the only way a client finds a half-open TCP connection.
   * Set it above the server's heartbeat period (an rx-sse server sends one every 15 s by default,
   * so `45000` suits it). Defaults to `false`: no timeout, as EventSource, since a server that sends
   * no heartbeat may be silent for any time.
   */
  readTimeout?: number | false | undefined;
}

/** What {@link FromSseOptions.reconnect} is told before a reconnection. */
export interface SseReconnectContext {
  /** The last event id in force: sent as Last-Event-ID (unless empty). */
  lastEventId: string;
  /** 1 for the first reconnection since an event arrived, then 2, 3… (as `backoff`'s). */
  attempt: number;
  /**
   * The response to the first request (to its latest sending, for a GET sent again), if it got
   * one: read its headers (its body is the stream, read already). `undefined` if it failed before
   * a response came.
   */
  response: Response | undefined;
  /**
   * The first response's `Location` header resolved against its URL (or the request's), as a new
   * `URL`; `undefined` when there is none, or when it is no URL.
   */
  location: URL | undefined;
}
