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
 * life, never one per write). What a client is owed — node's buffer for it plus the frames waiting
 * — is bounded by `maxBufferedBytes`, checked as each frame comes, so a single turn's burst holds
 * no more than the bound either: past it, the `close` policy cuts the connection at once (the
 * client reconnects with Last-Event-ID, and its source is let go mid-burst) and `drop` skips that
 * frame and every one after it until the client catches up (the end of the turn, or `'drain'`), so
 * a later, smaller frame never overtakes a dropped one. A frame costs the count of its bytes, no
 * more, and a channel's streams count each frame once between them.
 *
 * With `compress`, frames go through a gzip stream piped to the response, flushed per write (so
 * per turn); what the compressor holds counts toward the bound, and it is destroyed with the stream.
 */
export class Writer {
  readonly #res: ServerResponse;
  readonly #limits: WriterLimits;
  readonly #stats: SseStats;
  readonly #onTooSlow: () => void;
  readonly #compress: ZlibOptions | undefined;
  #pending = '';
  /**
   * What `#pending` was made from, by identity: its one frame, or the {@link Join} that made it
   * (`undefined` exactly while it is empty).
   */
  #from: string | Join | undefined;
  /** UTF-8 bytes of `#pending`, kept as frames come so that each is checked against the bound. */
  #pendingBytes = 0;
  #pendingEvents = 0;
  /**
   * What node (and the compressor) held when this turn's first frame came: nothing but this
   * writer's own flush changes it within a turn, so the turn's other frames reuse it.
   */
  #owedThisTurn = 0;
  /**
   * Under `drop`, a frame was refused: the rest of the turn is skipped too (until what is queued is
   * written, or the socket drains), so a later, smaller frame never overtakes a dropped one.
   */
  #skipping = false;
  #opened = false;
  #scheduled = false;
  #done = false;
  /** The socket said "wait": frames stay in `#pending` until 'drain'. */
  #blocked = false;
  /** Where frames are written: the response, or a gzip stream piped to it (from `open`). */
  #out: Writable;
  #gzip: Gzip | undefined;
  // The two callbacks node and the microtask queue need, made once per stream.
  readonly #flushNow = (): void => {
    this.#flush();
  };
  readonly #onDrain = (): void => {
    this.#blocked = false;
    this.#flush();
  };

  /** `onTooSlow`: the client fell past the bound under the `close` policy; it is to be cut. */
  constructor(
    response: SseResponse,
    limits: WriterLimits,
    stats: SseStats,
    onTooSlow: () => void,
    compress?: ZlibOptions,
  ) {
    // node:http2's compat response writes, drains and flushes its head the same way; its types
    // just lack `flushHeaders`.
    this.#res = response as ServerResponse;
    this.#out = this.#res;
    this.#limits = limits;
    this.#stats = stats;
    this.#onTooSlow = onTooSlow;
    this.#compress = compress;
    this.#res.on('drain', this.#onDrain);
  }

  /**
   * Queues a frame; `event` says whether it counts as an event in the stats (heartbeats and the
   * retry preamble do not). Before {@link open} it only queues; after {@link end}, it is ignored.
   */
  write(frame: string, event: boolean): void {
    if (this.#done) return;
    if (this.#skipping) {
      if (event) this.#stats.dropped++;
      return;
    }
    const shared = this.#shared(frame);
    const bytes = shared?.bytes ?? this.#pendingBytes + byteLength(frame);
    // Checked here, not when the turn's frames are written: a burst in one turn would otherwise
    // be held whole, however far past the bound, before it was refused.
    // A writer the socket told to wait asks again each frame: node may have sent some since.
    if (this.#from === undefined || this.#blocked) this.#owedThisTurn = this.#owed();
    const owed = this.#owedThisTurn;
    if (owed + bytes > this.#limits.maxBufferedBytes) {
      if (owed === 0) hintBurst(this.#limits);
      if (this.#limits.onSlowClient === 'drop') {
        if (event) this.#stats.dropped++;
        this.#skipping = true;
        this.#schedule();
      } else this.#onTooSlow();
      return;
    }
    this.#keep(frame, shared, bytes);
    if (event) this.#pendingEvents++;
    this.#schedule();
  }

  /** Flushes at the end of this turn, unless one is due already or the socket said "wait". */
  #schedule(): void {
    if (this.#opened && !this.#blocked && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#flushNow);
    }
  }

  /** Sends the head, with whatever is queued, at once: the client's `open` need not wait for an event. */
  open(headers: OutgoingHttpHeaders): void {
    const res = this.#res;
    const head = keepingVary(res, headers);
    if (this.#compress === undefined) {
      res.writeHead(200, head);
    } else {
      res.writeHead(200, { ...head, 'Content-Encoding': 'gzip' });
      const compressor = createFlushingGzip(this.#compress);
      this.#gzip = compressor;
      // However the response ends — a client leaving after end() while the compressor still
      // holds a backlog included — the compressor's memory goes with it.
      res.once('close', () => compressor.destroy());
      // A failure of the compressor ends this response, as a socket error would.
      compressor.on('error', (error) => {
        logError(error);
        res.destroy();
      });
      res.off('drain', this.#onDrain);
      compressor.on('drain', this.#onDrain);
      compressor.pipe(res);
      this.#out = compressor;
    }
    this.#opened = true;
    // A frame dropped before the head (the whole burst of subscribe(), say) is behind it now.
    this.#skipping = false;
    if (this.#pending === '') res.flushHeaders();
    else this.#flush();
  }

  /**
   * Writes whatever is queued and `last` (a final event, which the bound does not refuse: the
   * stream is ending anyway), then ends the response.
   */
  end(last?: string): void {
    if (this.#done) return;
    if (last !== undefined) {
      const shared = this.#shared(last);
      this.#keep(last, shared, shared?.bytes ?? this.#pendingBytes + byteLength(last));
      this.#pendingEvents++;
    }
    this.#flush(true);
    this.#done = true;
    this.#out.off('drain', this.#onDrain);
    // A gzip stream ends the response once its last bytes are through (it is piped).
    this.#out.end();
  }

  /** Drops whatever is queued and stops listening: the client is gone. */
  discard(): void {
    this.#done = true;
    this.#pending = '';
    this.#from = undefined;
    this.#pendingBytes = 0;
    this.#out.off('drain', this.#onDrain);
    // The compressor's memory goes now, not when the collector finds it.
    this.#gzip?.destroy();
  }

  /** The join another writer made of `frame` onto what this one has pending, if any. */
  #shared(frame: string): Join | undefined {
    return this.#from === undefined ? undefined : Join.shared(this.#from, frame);
  }

  /**
   * Appends `frame` to `#pending`, which is then `bytes` long: as `shared` when another writer
   * made that join already (see {@link Join}), else as a join of its own.
   */
  #keep(frame: string, shared: Join | undefined, bytes: number): void {
    const from = this.#from;
    if (from === undefined) {
      this.#pending = frame;
      this.#from = frame;
    } else {
      const join = shared ?? Join.make(from, frame, this.#pending, bytes);
      this.#pending = join.text;
      this.#from = join;
    }
    this.#pendingBytes = bytes;
  }

  /** What the client is owed beyond `#pending`: node's buffer, and the compressor's. */
  #owed(): number {
    const gzip = this.#gzip;
    return (
      this.#res.writableLength +
      (gzip === undefined ? 0 : gzip.writableLength + gzip.readableLength)
    );
  }

  #flush(force = false): void {
    this.#scheduled = false;
    if (this.#done || (this.#blocked && !force)) return;
    // The turn is over, or the socket drained: a frame may fit again.
    this.#skipping = false;
    if (this.#pending === '') return;
    // Every frame in `#pending` was checked against the bound as it came (but `end`'s last).
    const chunk = this.#pending;
    this.#stats.bytes += this.#pendingBytes;
    this.#stats.events += this.#pendingEvents;
    this.#pending = '';
    this.#from = undefined;
    this.#pendingBytes = 0;
    this.#pendingEvents = 0;
    if (!this.#out.write(chunk)) this.#blocked = true;
  }
}

/**
 * A join of frames that writers share. The live streams of a channel (or of a shared Subject)
 * get each event in turn, so every writer appends the same frame to the same string: the first
 * one's join serves the next. They then write one string per turn between them — joined,
 * flattened and counted once, not once per client. Whether a writer's string is the one the last
 * join was made from is decided by identity (this object, or a first frame — a frame-sized
 * comparison at most), never by comparing the strings, which would cost the whole backlog on
 * every frame. Writers out of step (replaying, blocked, another room's) make their own joins.
 *
 * Only the last join is offered to the next writer, and it is forgotten at the end of the turn;
 * a writer holds only the join its string came from, so no chain of joins builds up.
 */
class Join {
  static #last: Join | undefined;
  /** What it was made from, kept only while it is the last join (so no chain builds up). */
  #from: string | Join | undefined;
  readonly #frame: string;
  readonly text: string;
  /** UTF-8 bytes of the text, counted once for every writer that shares it. */
  readonly bytes: number;

  private constructor(from: string | Join, frame: string, text: string, bytes: number) {
    this.#from = from;
    this.#frame = frame;
    this.text = text;
    this.bytes = bytes;
  }

  /** The last join, if it is the join of `frame` onto the text made from `from`. */
  static shared(from: string | Join, frame: string): Join | undefined {
    const last = Join.#last;
    return last !== undefined && last.#from === from && last.#frame === frame ? last : undefined;
  }

  /** Joins `frame` onto `text`, made from `from`; `bytes` is the UTF-8 length of the two. */
  static make(from: string | Join, frame: string, text: string, bytes: number): Join {
    const last = Join.#last;
    if (last === undefined) queueMicrotask(Join.#forget);
    else last.#from = undefined;
    const join = new Join(from, frame, text + frame, bytes);
    Join.#last = join;
    return join;
  }

  static readonly #forget = (): void => {
    if (Join.#last !== undefined) Join.#last.#from = undefined;
    Join.#last = undefined;
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

// The UTF-8 length of the last frame counted. A channel's live streams get the same frame (the same
// string) one after another, so the first of a turn — the one no shared join covers — is counted
// once for all of them, not once per client; an identical string is a pointer comparison.
let lastFrame = '';
let lastFrameBytes = 0;

function byteLength(frame: string): number {
  if (frame !== lastFrame) {
    lastFrame = frame;
    lastFrameBytes = Buffer.byteLength(frame);
  }
  return lastFrameBytes;
}

const hinted = new WeakSet<WriterLimits>();

/**
 * A burst bigger than the bound can never be sent, even to a client that keeps up: it would be
 * cut (or skipped) on every reconnect. Say so once per listener, so the bound gets raised.
 */
function hintBurst(limits: WriterLimits): void {
  if (hinted.has(limits)) return;
  hinted.add(limits);
  logError(
    new Error(
      `rx-sse: a client was due more than maxBufferedBytes (${limits.maxBufferedBytes}) in one turn (a replay?), even with nothing else queued; raise maxBufferedBytes above your largest burst`,
    ),
  );
}
