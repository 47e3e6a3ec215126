import type { HttpHeaders } from '../types.js';

/**
 * Where a stream's bytes go: the one thing a runtime must provide for the engine to serve a
 * stream. A sink knows its runtime's way of sending a head, writing bytes, waiting for room and
 * noticing the client leave — nothing about events, errors, bounds or timing, which are the
 * engine's. Two exist: node's `ServerResponse` (../node/nodeSink.ts) and a web `ReadableStream`
 * (../fetch/webSink.ts).
 *
 * The engine calls, in order: {@link Sink.listen} once; then either {@link Sink.refuse} (no
 * stream), or {@link Sink.open} followed by writes and one of {@link Sink.end} or
 * {@link Sink.drop}; or {@link Sink.drop} alone (the client left before the head).
 */
export interface Sink {
  /** True when the client left before the stream was served (so the handler is not called). */
  readonly gone: boolean;
  /** Starts telling `owner` about room and departure; called once, before anything else. */
  listen(owner: SinkOwner): void;
  /** UTF-8 bytes written but not yet taken by the client (socket and compressor buffers, a body's queue). */
  owed(): number;
  /**
   * Sends the `200` head now, with the headers the door chose and the handler's own (`headers`,
   * from `ctx.setHeader`, over the door's), and `first` (frames queued before it; may be empty) in
   * the same write. Returns as {@link Sink.write} does.
   */
  open(first: string, headers: HttpHeaders | undefined): boolean;
  /** Writes a chunk of frames; `false` asks the engine to wait for {@link SinkOwner.drained}. */
  write(chunk: string): boolean;
  /**
   * Ends the response once what was written is delivered. `hangUp`: the server is shutting down,
   * so a connection that would be kept alive for another request is closed after it.
   */
  end(hangUp: boolean): void;
  /** Answers with the refusal for `error` (its status, headers and text) instead of a stream. */
  refuse(error: unknown): void;
  /**
   * Lets go of the response: the client left (`cut` false), or is too slow and is cut off (`cut`
   * true: the connection is broken, so the client sees a failure and reconnects).
   */
  drop(cut: boolean): void;
  /** Calls `done` once the response has finished or is gone (at once if it is). */
  settled(done: () => void): void;
  /** Breaks the response off now: a shutdown's timeout ran out while it was still flushing. */
  destroy(): void;
}

/** What a sink tells the engine. */
export interface SinkOwner {
  /** There is room again after a {@link Sink.write} that returned `false`. */
  drained(): void;
  /** The client went away. */
  left(): void;
}
