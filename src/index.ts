/**
 * Serve Server-Sent Events (WHATWG HTML § 9.2) from RxJS Observables: {@link sse} makes a
 * node:http listener (and Connect/Express middleware, with a fetch door as `listener.fetch`) from
 * a handler that returns an `Observable<SseEvent>`; {@link toResponse} answers one fetch `Request`
 * with a stream. {@link encode}, {@link preEncode} and {@link toWire} are the wire format alone.
 *
 * Subpaths: `rx-sse/channel` (broadcast with Last-Event-ID replay), `rx-sse/resumable` (answers
 * that outlive their connection), `rx-sse/redis` (both on Redis), `rx-sse/client` (a fetch-based
 * client for Node), `rx-sse/browser` (EventSource as an Observable), `rx-sse/testing` (marble
 * tests).
 *
 * @module rx-sse
 */
export { sse, type SseListener } from './sse.js';
export { toResponse } from './fetch/toResponse.js';
export { encode, preEncode } from './wire/encode.js';
export { toWire } from './wire/toWire.js';
export { HttpError, SseEventError, type HttpErrorOptions, type SseEventField } from './errors.js';
export type {
  EndReason,
  ErrorHook,
  HttpHeaders,
  ResponseContext,
  ResponseHandler,
  SlowClientPolicy,
  SseContext,
  SseEvent,
  SseHandler,
  SseRequest,
  SseResponse,
  SseStats,
} from './types.js';
export type {
  CloseOptions,
  CompressOptions,
  CorsOptions,
  EncodeOptions,
  ResponseOptions,
  ServeOptions,
  SseOptions,
  WireOptions,
} from './options.js';
