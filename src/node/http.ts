import type { Http2ServerRequest } from 'node:http2';
import type { SseRequest } from '../types.js';

/** True for a request that came over HTTP/2, where connection-specific headers are forbidden. */
export function isHttp2(req: SseRequest): req is Http2ServerRequest {
  return req.httpVersionMajor >= 2;
}

/** HTTP/1.1 keeps the connection unless the client asked to close it; 1.0 and HTTP/2 get no header. */
export function wantsKeepAlive(req: SseRequest): boolean {
  return (
    req.httpVersionMajor === 1 &&
    req.httpVersionMinor >= 1 &&
    !/(?:^|,)\s*close\s*(?:,|$)/i.test(req.headers.connection ?? '')
  );
}
