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

/**
 * Calls `go` once `res` owns its connection: at once, except for a pipelined HTTP/1.1 request.
 * node answers those in order, so it attaches the response to the socket (`res.socket`, the
 * `'socket'` event) only when the one before it has finished. Until then nothing it would do can
 * reach the client, so it waits holding one listener on its own response and one on its own
 * request, none on the shared socket. If the connection closes first, node aborts the request:
 * `go` is never called, and both listeners are removed.
 */
export function whenAttached(req: SseRequest, res: SseResponse, go: () => void): void {
  // An HTTP/2 response always has its stream.
  if (isHttp2(req) || res.socket !== null) {
    go();
    return;
  }
  // The client left before we were called: there is nothing to wait for.
  if (req.socket.destroyed) return;
  const attached = (): void => {
    req.off('close', left);
    go();
  };
  const left = (): void => {
    // A request whose body was read closes too (node ≥ 16), its connection alive: that one
    // still waits for its turn.
    if (req.socket.destroyed) res.off('socket', attached);
  };
  res.once('socket', attached);
  req.once('close', left);
}
