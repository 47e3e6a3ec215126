import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SseStats } from './stats.js';

/** What happens to a client that falls more than `maxBufferedBytes` behind. */
export type SlowClientPolicy = 'close' | 'drop';

/** How much one client may fall behind, and what then. */
export interface WriterLimits {
  maxBufferedBytes: number;
  onSlowClient: SlowClientPolicy;
}

/**
 * The only part of rx-sse that writes to a socket. It decides when bytes go out, never what.
 *
 * Frames queued in one turn of the event loop leave as one `res.write`: a burst of events costs
 * one chunk, not one per event, and nothing is held past the current turn. When `res.write` says
 * the socket is full, frames wait in one string until `'drain'` (one listener for the response's
 * life, never one per write), and that backlog is bounded: past `maxBufferedBytes`, the `close`
 * policy cuts the connection (the client reconnects with Last-Event-ID) and `drop` skips frames
 * until the client catches up. Bytes are counted only while a client is behind, so a client that
 * keeps up costs no counting at all.
 */
export interface Writer {
  /**
   * Queues a frame; `event` says whether it counts as an event in the stats (heartbeats and the
   * retry preamble do not). Before {@link Writer.open} it only queues; after {@link Writer.end},
   * it is ignored.
   */
  write(frame: string, event: boolean): void;
  /** Sends the head, with whatever is queued, at once: the client's `open` need not wait for an event. */
  open(headers: OutgoingHttpHeaders): void;
  /** Writes whatever is queued, then ends the response. */
  end(): void;
  /** Drops whatever is queued and stops listening: the client is gone. */
  discard(): void;
}

export function createWriter(
  res: ServerResponse,
  limits: WriterLimits,
  stats: SseStats,
  onTooSlow: () => void,
): Writer {
  let pending = '';
  let opened = false;
  let scheduled = false;
  let done = false;
  /** The socket said "wait": frames stay in `pending` until 'drain'. */
  let blocked = false;
  let backlog = 0;

  const flush = (): void => {
    scheduled = false;
    if (done || blocked || pending === '') return;
    const chunk = pending;
    pending = '';
    stats.bytes += Buffer.byteLength(chunk);
    if (!res.write(chunk)) {
      blocked = true;
      backlog = 0;
    }
  };
  const onDrain = (): void => {
    blocked = false;
    flush();
  };
  res.on('drain', onDrain);

  return {
    write(frame, event) {
      if (done) return;
      if (blocked) {
        const bytes = Buffer.byteLength(frame);
        if (backlog + bytes > limits.maxBufferedBytes) {
          if (limits.onSlowClient === 'drop') {
            if (event) stats.dropped++;
          } else {
            onTooSlow();
          }
          return;
        }
        backlog += bytes;
      }
      if (event) stats.events++;
      pending += frame;
      if (opened && !blocked && !scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    open(headers) {
      res.writeHead(200, headers);
      opened = true;
      if (pending === '') res.flushHeaders();
      else flush();
    },
    end() {
      if (done) return;
      // A backlog goes too: end() is a clean ending, and the bound already holds it small.
      blocked = false;
      flush();
      done = true;
      res.off('drain', onDrain);
      res.end();
    },
    discard() {
      done = true;
      pending = '';
      res.off('drain', onDrain);
    },
  };
}
