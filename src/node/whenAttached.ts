import type { Socket } from 'node:net';
import type { SseRequest, SseResponse } from '../types.js';
import { isHttp2 } from './http.js';

/**
 * How many requests may wait for their turn on one connection (see {@link whenAttached}). A
 * browser never pipelines, and no client has reason to queue many requests behind an event stream
 * that may never end; a connection that does is flooding, and is destroyed.
 */
export const maxWaitingPerConnection = 16;

/**
 * The requests waiting on each connection. Kept here, not in a listener on the shared socket, and
 * weakly, so a connection that goes takes its count with it.
 */
const waitingOn = new WeakMap<Socket, number>();

/**
 * Calls `go` once `res` owns its connection: at once, except for a pipelined HTTP/1.1 request.
 * node answers those in order, so it attaches the response to the socket (`res.socket`, the
 * `'socket'` event) only when the one before it has finished. Until then nothing it would do can
 * reach the client, so it waits holding one listener on its own response and one on its own
 * request, none on the shared socket. If the connection closes first, node aborts the request and
 * `go` is never called. Both listeners are then removed, unless the request had already closed
 * with the connection alive (its body read): then the response's stays, and goes with the
 * response, which nothing holds once its connection is gone.
 *
 * At most {@link maxWaitingPerConnection} requests wait on a connection; one more destroys it,
 * dropping those that wait. node stops reading a connection whose unanswered responses hold more
 * than the socket's high-water mark, but waiting requests write nothing, so without this a client
 * could pipeline requests behind a stream that never ends until memory ran out. Once destroyed,
 * node finishes parsing the read it is in (up to 64 KiB) and reads no more; the requests that
 * arrive meanwhile find the connection gone and are dropped at once.
 */
export function whenAttached(req: SseRequest, res: SseResponse, go: () => void): void {
  // An HTTP/2 response always has its stream.
  if (isHttp2(req) || res.socket !== null) {
    go();
    return;
  }
  const { socket } = req;
  // The client left before we were called: there is nothing to wait for.
  if (socket.destroyed) return;
  const waiting = waitingOn.get(socket) ?? 0;
  if (waiting >= maxWaitingPerConnection) {
    socket.destroy();
    return;
  }
  waitingOn.set(socket, waiting + 1);
  const attached = (): void => {
    req.off('close', left);
    done(socket);
    go();
  };
  const left = (): void => {
    // A request whose body was read closes too (node ≥ 16), its connection alive: that one
    // still waits for its turn.
    if (!socket.destroyed) return;
    res.off('socket', attached);
    done(socket);
  };
  res.once('socket', attached);
  req.once('close', left);
}

/** One request fewer waits on `socket`. */
function done(socket: Socket): void {
  const waiting = (waitingOn.get(socket) ?? 1) - 1;
  if (waiting === 0) waitingOn.delete(socket);
  else waitingOn.set(socket, waiting);
}
