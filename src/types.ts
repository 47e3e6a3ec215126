// The public types of rx-sse's core, in one place. (The option interfaces are in ./options.ts; each
// subpath — channel, redis, client, browser, testing — has its own.) Types only: nothing here runs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Observable } from 'rxjs';

export type { SseEvent } from './wire/event.js';
import type { SseEvent } from './wire/event.js';

/** A request the node door serves: node:http's, or node:http2's compat API's. */
export type SseRequest = IncomingMessage | Http2ServerRequest;

/** A response the node door writes: node:http's, or node:http2's compat API's. */
export type SseResponse = ServerResponse | Http2ServerResponse;

/**
 * Header names to values, as `res.setHeader` and `new Headers()` both take them: a list is the
 * same header several times. Names and values are checked as HTTP fields (RFC 9110 §5).
 */
export type HttpHeaders = Readonly<Record<string, string | number | readonly string[]>>;

/** What a handler knows about the request whose stream it makes, on either door. */
export interface SseContext {
  /**
   * The request as node:http (or node:http2's compat API) gave it; `undefined` on the fetch door
   * (`listener.fetch`), where {@link SseContext.request} is the request.
   */
  req: SseRequest | undefined;
  /**
   * The request as a fetch `Request`: on the fetch door, the one the runtime passed; on the node
   * door, one made from `req` when first read (method, URL and headers; no body; its `signal` is
   * this context's). Read headers here to serve both doors with one handler.
   */
  request: Request;
  /** The request's URL, absolute, for `pathname` and `searchParams`. */
  url: URL;
  /**
   * Where the client wants to resume: the `Last-Event-ID` header, else the `lastEventId` query
   * parameter (for clients that cannot set headers). `undefined` when absent, empty, or longer
   * than `maxLastEventIdLength`: an id the server never issued is treated as no id at all.
   */
  lastEventId: string | undefined;
  /**
   * Aborts once the stream is over for any reason: the client went away, the server closed the
   * stream, the stream completed or failed. Pass it to `fetch` and the like so their work stops too.
   */
  signal: AbortSignal;
  /**
   * The request body as UTF-8 text (`''` for none), read once (a second call gets the same),
   * on either door — for a stream started by a POST (see `options.methods`). Await it before
   * returning the Observable, so that a bad body is a status.
   * @throws {HttpError} (the promise rejects) 413 past `options.maxBodyBytes` (the rest of the body
   * is read and discarded, so the client does receive the 413), 400 for bytes that are not UTF-8.
   */
  text(): Promise<string>;
  /**
   * The request body parsed as JSON, read as {@link SseContext.text} is.
   * @throws {HttpError} (the promise rejects) 415 unless `Content-Type` is `application/json` or a
   * `+json` type, 400 for a body that does not parse, 413 past `options.maxBodyBytes`.
   */
  json(): Promise<unknown>;
  /**
   * Sets a header of this stream's `200` head — say, `Location: /answers/<id>` for a stream that
   * can be resumed there — over the listener's own `headers`. It does not go out with a refusal.
   * Call it before returning the Observable (or before an async handler resolves).
   * @param name The header's name, in any case.
   * @param value Its value; a list sends the header once per item.
   * @throws {TypeError} for a name or value HTTP cannot carry (RFC 9110 §5), `Content-Type`, a
   * connection header, or once the head is out.
   */
  setHeader(name: string, value: string | number | readonly string[]): void;
}

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

/**
 * Makes the stream of one request. May return it directly or as a promise (e.g. after an auth
 * check). Throwing or rejecting with an {@link HttpError} refuses the request with its status;
 * with anything else, a `500` (and `onError` is told).
 *
 * @param ctx What the handler knows about the request: its URL, headers, Last-Event-ID, body,
 *   and the signal that aborts when the stream is over.
 * @returns The events to send, as an `Observable` (or a promise of one): the stream ends when it
 *   completes.
 */
export type SseHandler = (
  ctx: SseContext,
) => Observable<SseEvent> | PromiseLike<Observable<SseEvent>>;

/**
 * Makes the stream of a {@link toResponse}, directly or as a promise (e.g. after an auth check).
 * Throwing or rejecting refuses the request as an {@link SseHandler} does.
 *
 * @param ctx What the handler knows about the request: its URL and Last-Event-ID (when
 *   `options.request` was given), and the signal that aborts when the stream is over.
 * @returns The events to send, as an `Observable` (or a promise of one).
 */
export type ResponseHandler = (
  ctx: ResponseContext,
) => Observable<SseEvent> | PromiseLike<Observable<SseEvent>>;

/**
 * Reports an error that ends a request; after the head, the event it returns (if any) is the
 * stream's last. `C` is the handler's context: {@link SseContext} for `sse()`,
 * {@link ResponseContext} for `toResponse()`.
 *
 * @param error What was thrown, rejected or errored with.
 * @param ctx The context of the request it ended.
 * @returns The stream's last event, sent only if the stream is open, or nothing.
 */
// `void` so that a callback that only logs, and returns nothing, fits.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export type ErrorHook<C = SseContext> = (error: unknown, ctx: C) => SseEvent | undefined | void;

/** Why an open stream ended. */
export type EndReason = 'complete' | 'error' | 'client' | 'slow' | 'shutdown';

/** What happens to a client that falls more than `maxBufferedBytes` behind. */
export type SlowClientPolicy = 'close' | 'drop';

/**
 * Live figures of one `sse()` listener, both doors together, for a dashboard. Counters only grow,
 * except `open`.
 *
 * A pipelined request is checked on arrival, before it waits for its turn on its connection: a
 * `403` (CORS) or `405` it gets then is in `refused`, and a `cors.origin` or `addressOf` function
 * that throws for it is in `errors` and `refused`. A GET or HEAD that passes waits, and is in none
 * of them until its turn comes; if its connection closes first (the client left, or pipelined
 * more than may wait), it never is.
 */
export interface SseStats {
  /** Streams open now (the head is out, the response not yet ended). */
  open: number;
  /** Streams opened since the listener was made. */
  opened: number;
  /**
   * Requests refused before a stream opened: an `HttpError` (or a `500` for another error before
   * the head), a limit, shutdown, CORS, a method not allowed (`405`).
   */
  refused: number;
  /** Events written (queued for the client); heartbeats and the retry preamble not counted. */
  events: number;
  /** Bytes handed to clients, heartbeats included. */
  bytes: number;
  /** Events skipped for clients that fell behind, under `onSlowClient: 'drop'`. */
  dropped: number;
  /** Connections closed because the client fell more than `maxBufferedBytes` behind. */
  closedSlow: number;
  /**
   * Errors: those reported through `onError`, and a `cors.origin`, `addressOf` or
   * `fetchAddressOf` function that threw (logged, never passed to `onError`).
   */
  errors: number;
}
