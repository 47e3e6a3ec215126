import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { SseResponse } from './http.js';
import type { Writable } from 'node:stream';
import type { Gzip, ZlibOptions } from 'node:zlib';
import { createFlushingGzip } from './compress.js';
import { describe } from './encode.js';
import { logError } from './report.js';
import type { SseStats } from './stats.js';

/** What happens to a client that falls more than `maxBufferedBytes` behind. */
export type SlowClientPolicy = 'close' | 'drop';

export function checkSlowClientPolicy(caller: string, policy: unknown): void {
  if (policy !== 'close' && policy !== 'drop') {
    throw new TypeError(
      `${caller}: options.onSlowClient must be 'close' or 'drop' (got ${describe(policy)})`,
    );
  }
}

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
 * life, never one per write). What a client is owed — node's buffer for it plus that backlog — is
 * bounded by `maxBufferedBytes`, a single turn's burst included: past it, the `close` policy cuts
 * the connection (the client reconnects with Last-Event-ID) and `drop` skips frames until the
 * client catches up. A client that keeps up costs one byte count per turn, no more.
 *
 * With `compress`, frames go through a gzip stream piped to the response, flushed per write (so
 * per turn); what the compressor holds counts toward the bound, and it is destroyed with the stream.
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
  /**
   * Writes whatever is queued and `last` (a final event, which the bound does not refuse: the
   * stream is ending anyway), then ends the response.
   */
  end(last?: string): void;
  /** Drops whatever is queued and stops listening: the client is gone. */
  discard(): void;
}

export function createWriter(
  response: SseResponse,
  limits: WriterLimits,
  stats: SseStats,
  onTooSlow: () => void,
  compress?: ZlibOptions,
): Writer {
  // node:http2's compat response writes, drains and flushes its head the same way; its types
  // just lack `flushHeaders`.
  const res = response as ServerResponse;
  const { maxBufferedBytes: bound, onSlowClient } = limits;
  let pending = '';
  let pendingEvents = 0;
  let opened = false;
  let scheduled = false;
  let done = false;
  /** The socket said "wait": frames stay in `pending` until 'drain'. */
  let blocked = false;
  /** Bytes in `pending` while blocked. */
  let backlog = 0;
  /** Where frames are written: the response, or a gzip stream piped to it (from `open`). */
  let out: Writable = res;
  let gzip: Gzip | undefined;
  /** What the client is owed beyond `pending`: node's buffer, and the compressor's. */
  const owed = (): number =>
    res.writableLength + (gzip === undefined ? 0 : gzip.writableLength + gzip.readableLength);

  /** Past the bound: skip (counted) or cut. */
  const overflow = (events: number): void => {
    if (onSlowClient === 'drop') stats.dropped += events;
    else onTooSlow();
  };

  const flush = (force = false): void => {
    scheduled = false;
    if (done || (blocked && !force) || pending === '') return;
    const chunk = pending;
    const events = pendingEvents;
    pending = '';
    pendingEvents = 0;
    const bytes = Buffer.byteLength(chunk);
    const already = owed();
    if (!force && already + bytes > bound) {
      if (already === 0) hintBurst(limits, bytes);
      overflow(events);
      return;
    }
    stats.bytes += bytes;
    stats.events += events;
    if (!out.write(chunk)) {
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
        if (owed() + backlog + bytes > bound) {
          overflow(event ? 1 : 0);
          return;
        }
        backlog += bytes;
      }
      pending += frame;
      if (event) pendingEvents++;
      if (opened && !blocked && !scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    open(headers) {
      const head = keepingVary(res, headers);
      if (compress === undefined) {
        res.writeHead(200, head);
      } else {
        res.writeHead(200, { ...head, 'Content-Encoding': 'gzip' });
        const compressor = createFlushingGzip(compress);
        gzip = compressor;
        // However the response ends — a client leaving after end() while the compressor still
        // holds a backlog included — the compressor's memory goes with it.
        res.once('close', () => compressor.destroy());
        // A failure of the compressor ends this response, as a socket error would.
        gzip.on('error', (error) => {
          logError(error);
          res.destroy();
        });
        res.off('drain', onDrain);
        gzip.on('drain', onDrain);
        gzip.pipe(res);
        out = gzip;
      }
      opened = true;
      if (pending === '') res.flushHeaders();
      else flush();
    },
    end(last) {
      if (done) return;
      if (last !== undefined) {
        pending += last;
        pendingEvents++;
      }
      flush(true);
      done = true;
      out.off('drain', onDrain);
      // A gzip stream ends the response once its last bytes are through (it is piped).
      out.end();
    },
    discard() {
      done = true;
      pending = '';
      out.off('drain', onDrain);
      // The compressor's memory goes now, not when the collector finds it.
      gzip?.destroy();
    },
  };
}

/**
 * The head with a `Vary` that also keeps what earlier middleware set on `res` (say, the `cors`
 * package's `Vary: Origin`): `writeHead` would otherwise replace it. Costs nothing without one.
 */
function keepingVary(res: ServerResponse, headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const before = res.getHeader('vary');
  if (before === undefined) return headers;
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'vary');
  if (name === undefined) return headers;
  const values = new Map<string, string>();
  for (const item of [before, headers[name]].flat().join(',').split(',')) {
    const value = item.trim();
    if (value !== '') values.set(value.toLowerCase(), value);
  }
  return { ...headers, [name]: [...values.values()].join(', ') };
}

const hinted = new WeakSet<WriterLimits>();

/**
 * A burst bigger than the bound can never be sent, even to a client that keeps up: it would be
 * cut (or skipped) on every reconnect. Say so once per listener, so the bound gets raised.
 */
function hintBurst(limits: WriterLimits, bytes: number): void {
  if (hinted.has(limits)) return;
  hinted.add(limits);
  logError(
    new Error(
      `rx-sse: ${bytes} bytes were due to a client in one turn (a replay?), more than maxBufferedBytes (${limits.maxBufferedBytes}) even with nothing else queued; raise maxBufferedBytes above your largest burst`,
    ),
  );
}
