import type { HttpHeaders, SlowClientPolicy, SseStats } from '../types.js';
import { byteLength } from './byteLength.js';
import { Join } from './join.js';
import { logError } from './report.js';
import type { Sink } from './sink.js';

/** What a {@link Writer} tells the stream it writes for. */
export interface WriterOwner {
  /** The client fell past `maxBufferedBytes` under the `close` policy: it is to be cut. */
  tooSlow(): void;
}

/** How much one client may fall behind, and what then. */
export interface WriterLimits {
  maxBufferedBytes: number;
  onSlowClient: SlowClientPolicy;
}

/**
 * The part of the engine that decides when a stream's bytes go to its {@link Sink}, never what.
 *
 * Frames queued in one turn of the event loop leave as one write: a burst of events costs one
 * chunk, not one per event, and nothing is held past the current turn. When the sink says "wait",
 * frames wait in one string until it has room again. What a client is owed — what the sink holds
 * for it plus the frames waiting — is bounded by `maxBufferedBytes`, checked as each frame comes,
 * so a single turn's burst holds no more than the bound either: past it, the `close` policy cuts
 * the connection at once (the client reconnects with Last-Event-ID, and its source is let go
 * mid-burst) and `drop` skips that frame and every one after it until the client catches up (the
 * end of the turn, or room again), so a later, smaller frame never overtakes a dropped one. A
 * frame costs the count of its bytes, no more, and a channel's streams count each frame once
 * between them.
 */
export class Writer {
  readonly #sink: Sink;
  readonly #limits: WriterLimits;
  readonly #stats: SseStats;
  readonly #owner: WriterOwner;
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
   * What the sink held when this turn's first frame came: nothing but this writer's own flush
   * changes it within a turn, so the turn's other frames reuse it.
   */
  #owedThisTurn = 0;
  /**
   * Under `drop`, a frame was refused: the rest of the turn is skipped too (until what is queued is
   * written, or the sink has room), so a later, smaller frame never overtakes a dropped one.
   */
  #skipping = false;
  #opened = false;
  #scheduled = false;
  #done = false;
  /** The sink said "wait": frames stay in `#pending` until it drains. */
  #blocked = false;

  /**
   * The writers with frames to write at the end of this turn, in the order their first frame
   * came, and one microtask that writes them all: not a microtask (and a callback kept for it)
   * per writer.
   */
  static #due: Writer[] = [];

  static readonly #flushDue = (): void => {
    const due = Writer.#due;
    // A writer due again while these are written (a write from a sink's callback) waits for the
    // next microtask, still in this turn.
    Writer.#due = [];
    let next = 0;
    try {
      for (const writer of due) {
        next++;
        writer.#flush();
      }
    } finally {
      // One that threw (an uncaught exception, as from any microtask) keeps no other waiting.
      for (const writer of due.slice(next)) Writer.#enqueue(writer);
    }
  };

  static #enqueue(writer: Writer): void {
    if (Writer.#due.push(writer) === 1) queueMicrotask(Writer.#flushDue);
  }

  /** `owner.tooSlow()`: the client fell past the bound under the `close` policy; it is to be cut. */
  constructor(sink: Sink, limits: WriterLimits, stats: SseStats, owner: WriterOwner) {
    this.#sink = sink;
    this.#limits = limits;
    this.#stats = stats;
    this.#owner = owner;
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
    // A writer the sink told to wait asks again each frame: the client may have taken some since.
    if (this.#from === undefined || this.#blocked) this.#owedThisTurn = this.#sink.owed();
    const owed = this.#owedThisTurn;
    if (owed + bytes > this.#limits.maxBufferedBytes) {
      if (owed === 0) hintBurst(this.#limits);
      if (this.#limits.onSlowClient === 'drop') {
        if (event) this.#stats.dropped++;
        this.#skipping = true;
        this.#schedule();
      } else this.#owner.tooSlow();
      return;
    }
    this.#keep(frame, shared, bytes);
    if (event) this.#pendingEvents++;
    this.#schedule();
  }

  /** The sink has room again. */
  drained(): void {
    this.#blocked = false;
    this.#flush();
  }

  /** Flushes at the end of this turn, unless one is due already or the sink said "wait". */
  #schedule(): void {
    if (this.#opened && !this.#blocked && !this.#scheduled) {
      this.#scheduled = true;
      Writer.#enqueue(this);
    }
  }

  /** Sends the head, with whatever is queued, at once: the client's `open` need not wait for an event. */
  open(headers?: HttpHeaders): void {
    this.#opened = true;
    // A frame dropped before the head (the whole burst of subscribe(), say) is behind it now.
    this.#skipping = false;
    // Frames queued before the head (the retry preamble, a synchronous burst) leave with it.
    if (!this.#sink.open(this.#take(), headers)) this.#blocked = true;
  }

  /**
   * Writes whatever is queued and `last` (a final event, which the bound does not refuse: the
   * stream is ending anyway), then ends the response.
   */
  end(last: string | undefined, hangUp: boolean): void {
    if (this.#done) return;
    if (last !== undefined) {
      const shared = this.#shared(last);
      this.#keep(last, shared, shared?.bytes ?? this.#pendingBytes + byteLength(last));
      this.#pendingEvents++;
    }
    this.#flush(true);
    this.#done = true;
    this.#sink.end(hangUp);
  }

  /** Drops whatever is queued: the stream is over without its backlog. */
  discard(): void {
    this.#done = true;
    this.#pending = '';
    this.#from = undefined;
    this.#pendingBytes = 0;
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

  #flush(force = false): void {
    this.#scheduled = false;
    if (this.#done || (this.#blocked && !force)) return;
    // The turn is over, or the sink drained: a frame may fit again.
    this.#skipping = false;
    if (this.#pending === '') return;
    if (!this.#sink.write(this.#take())) this.#blocked = true;
  }

  /** What is pending, now counted as written and no longer held here. */
  #take(): string {
    // Every frame in `#pending` was checked against the bound as it came (but `end`'s last).
    const chunk = this.#pending;
    this.#stats.bytes += this.#pendingBytes;
    this.#stats.events += this.#pendingEvents;
    this.#pending = '';
    this.#from = undefined;
    this.#pendingBytes = 0;
    this.#pendingEvents = 0;
    return chunk;
  }
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
