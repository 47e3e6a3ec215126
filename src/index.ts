export { sse, type SseHandler, type SseListener, type SseOptions } from './sse.js';
export type { EndReason, ErrorHook } from './connection.js';
export {
  toResponse,
  type ResponseContext,
  type ResponseHandler,
  type ResponseOptions,
} from './response.js';
export type { CloseOptions } from './sse.js';
export type { SseStats } from './stats.js';
export type { CorsOptions } from './cors.js';
export type { CompressOptions } from './compress.js';
export type { SlowClientPolicy } from './writer.js';
export { encode, preEncode, type EncodeOptions } from './encode.js';
export { toWire, type WireOptions } from './toWire.js';
export type { SseEvent } from './event.js';
export type { SseContext } from './context.js';
export type { StreamHeaders } from './headers.js';
export type { SseRequest, SseResponse } from './http.js';
export {
  HttpError,
  SseEventError,
  type HttpErrorOptions,
  type HttpHeaders,
  type SseEventField,
} from './errors.js';
