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
export class Join {
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
