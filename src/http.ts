import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** A request rx-sse serves: node:http's, or node:http2's compat API's. */
export type SseRequest = IncomingMessage | Http2ServerRequest;

/** A response rx-sse writes: node:http's, or node:http2's compat API's. */
export type SseResponse = ServerResponse | Http2ServerResponse;

/** True for a request that came over HTTP/2, where connection-specific headers are forbidden. */
export function isHttp2(req: SseRequest): req is Http2ServerRequest {
  return req.httpVersionMajor >= 2;
}

/**
 * Headers that describe one connection rather than the response. HTTP/2 forbids them (node:http2
 * throws on all but `Connection`), and on HTTP/1 they are the server's to manage.
 */
export const connectionHeaders: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  // HTTP/2's own: node:http2 refuses them in a response too.
  'te',
  'http2-settings',
]);
