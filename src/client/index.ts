export { fromSse, type FromSseOptions, type SseMessage } from './fromSse.js';
export {
  SseReadTimeoutError,
  SseRequestError,
  SseResponseError,
  SseTooLargeError,
} from './errors.js';
export { createParser, type ParsedEvent, type SseParser } from './parse.js';
