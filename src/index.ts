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
