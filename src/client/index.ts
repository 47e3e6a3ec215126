/**
 * A Server-Sent Events client on `fetch`, for Node and anything else with `fetch`: {@link fromSse}
 * reads a stream as EventSource would (reconnecting with Last-Event-ID, honouring `retry:`), and
 * also a stream a POST starts, with headers, bounds and a read timeout. {@link createParser} is its
 * WHATWG `text/event-stream` parser alone.
 *
 * @module rx-sse/client
 */
export {
  fromSse,
  type FromSseOptions,
  type SseMessage,
  type SseReconnectContext,
} from './fromSse.js';
export type { SseRequestBody, SseRequestInit } from './sseRequest.js';
export {
  SseNotResumableError,
  SseReadTimeoutError,
  SseRequestError,
  SseResponseError,
  SseTooLargeError,
} from './errors.js';
export { createParser, type ParsedEvent, type SseParser } from './parse.js';
