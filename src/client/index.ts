export { fromSse, SseResponseError, type FromSseOptions, type SseMessage } from './fromSse.js';
export { createParser, type ParsedEvent, type SseParser } from './parse.js';
