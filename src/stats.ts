/**
 * Live figures of one `sse()` listener, for a dashboard. Counters only grow, except `open`.
 *
 * A pipelined request is checked on arrival, before it waits for its turn on its connection: a
 * `403` (CORS) or `405` it gets then is in `refused`, and a `cors.origin` or `addressOf` function
 * that throws for it is in `errors` and `refused`. A GET or HEAD that passes waits, and is in none
 * of them until its turn comes; if its connection closes first (the client left, or pipelined
 * more than may wait), it never is.
 */
export interface SseStats {
  /** Streams open now (the head is out, the response not yet ended). */
  open: number;
  /** Streams opened since the listener was made. */
  opened: number;
  /** Requests refused before a stream opened: an `HttpError`, a limit, shutdown, CORS. */
  refused: number;
  /** Events written (queued for the socket); heartbeats and the retry preamble not counted. */
  events: number;
  /** Bytes handed to sockets, heartbeats included. */
  bytes: number;
  /** Events skipped for clients that fell behind, under `onSlowClient: 'drop'`. */
  dropped: number;
  /** Connections closed because the client fell more than `maxBufferedBytes` behind. */
  closedSlow: number;
  /** Errors reported through `onError`. */
  errors: number;
}

export function emptyStats(): SseStats {
  return {
    open: 0,
    opened: 0,
    refused: 0,
    events: 0,
    bytes: 0,
    dropped: 0,
    closedSlow: 0,
    errors: 0,
  };
}
