export {
  fromSse,
  type FromSseOptions,
  type SseMessage,
  type SseReconnectContext,
} from './fromSse.js';
export type { SseRequestInit } from './sseRequest.js';
export {
  SseNotResumableError,
  SseReadTimeoutError,
  SseRequestError,
  SseResponseError,
  SseTooLargeError,
} from './errors.js';
export { createParser, type ParsedEvent, type SseParser } from './parse.js';
