import { SseTooLargeError } from './errors.js';

/** One event as a client dispatches it. */
export interface ParsedEvent {
  /** The event type: the `event:` field, else `message`. */
  event: string;
  /** The data lines joined with `\n`. */
  data: string;
  /** This event's own `id:` field, if it had one (after the NUL rule). */
  id: string | undefined;
  /** The last event id in force when it was dispatched (carried from earlier events). */
  lastEventId: string;
}

/**
 * A parser that {@link createParser} made: feed it the bytes of one stream, in order, as they
 * arrive; it calls back with each event and `retry`.
 */
export interface SseParser {
  /**
   * Feeds bytes as they arrive; a chunk may end anywhere, even inside a character or a CRLF.
   * @throws {SseTooLargeError} when the event being read passes `maxEventSize`; the parser is then
   *   spent (drop it).
   * @param bytes The next bytes of the stream, as the network delivered them.
   */
  feed(bytes: Uint8Array): void;
  /** The stream ended: an event without its blank line is dropped, as the spec says. */
  end(): void;
  /**
   * The last event id in force: set at every blank line, even one that dispatches nothing (an
   * `id:` without data, or an empty `id` that resets it). What a reconnection sends.
   */
  readonly lastEventId: string;
}

const lf = 0x0a;
const cr = 0x0d;
const colon = 0x3a;
const space = 0x20;
const data = [0x64, 0x61, 0x74, 0x61];
const event = [0x65, 0x76, 0x65, 0x6e, 0x74];
const id = [0x69, 0x64];
const retry = [0x72, 0x65, 0x74, 0x72, 0x79];
/** What the buffer starts with, and goes back to after an event that made it grow past `spare`. */
const initial = 1024;
const spare = 64 * 1024;

/**
 * The WHATWG `text/event-stream` interpretation, byte by byte: UTF-8 with a leading BOM dropped
 * (only at the start), lines ended by CRLF, LF or CR, `:` comments, one optional space after the
 * colon, `data` lines joined with LF, `id` ignored when it contains NUL (and kept across events),
 * `retry` only when all ASCII digits, an event dispatched at a blank line only when it has data.
 *
 * What it holds is bounded by `maxEventSize` (bytes as received; defaults to no bound): the
 * event's data so far (its lines joined with LF), its type, the last event id, and the whole line
 * being read (field name included), together — checked at each line end and at the end of each
 * chunk, so the same wherever the chunks split. Past it, `feed` throws an {@link SseTooLargeError}
 * instead of holding more.
 *
 * Lines are split on bytes (CR and LF never occur inside a UTF-8 sequence) and the event's data is
 * kept as bytes in one buffer, decoded once when the event is dispatched: no string holds a slice
 * of a network chunk, and a line costs no object of its own, so memory follows the bound whatever
 * the shape of the stream (many short lines, long comments between them, one-byte chunks).
 *
 * Written here rather than taken from eventsource-parser (which the specs use as an independent
 * oracle) so that `rx-sse/client` depends on nothing but rxjs, and so that the BOM and the id
 * carried across reconnections follow the stream, not a parser instance's guess.
 *
 * ## Example
 * ```ts
 * import { createParser } from 'rx-sse/client';
 *
 * const parser = createParser(
 *   (event) => console.log(event.event, JSON.stringify(event.data), event.lastEventId),
 *   (ms) => console.log('retry', ms),
 * );
 * parser.feed(new TextEncoder().encode('retry: 5000\nevent: tick\nid: 7\ndata: a\ndata: b\n\n'));
 * // Logs:
 * // retry 5000
 * // tick "a\nb" 7
 * ```
 *
 * @param onEvent Called with each event dispatched: one that has data, at its blank line.
 * @param onRetry Called with each valid `retry:` field's value, in ms.
 * @param lastEventId The last event id in force before the first byte: the one a reconnection
 *   sent as Last-Event-ID. Defaults to `''`.
 * @param maxEventSize The most bytes one event may hold while it is read. Defaults to `Infinity`.
 * @returns The parser.
 */
export function createParser(
  onEvent: (event: ParsedEvent) => void,
  onRetry: (ms: number) => void,
  lastEventId = '',
  maxEventSize = Infinity,
): SseParser {
  // One leading BOM is dropped by hand (at the stream's start only): this decoder keeps them all.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** The event's data (`[0, dataEnd)`), then the line being read, when it spans chunks (to `used`). */
  let buffer = new Uint8Array(initial);
  let dataEnd = 0;
  let used = 0;
  let hasData = false;
  let type = '';
  let typeBytes = 0;
  let idBuffer = lastEventId;
  let idBytes = new TextEncoder().encode(lastEventId).length;
  let ownId: string | undefined;
  let afterCr = false;
  let first = true;

  const check = (lineBytes: number): void => {
    if (dataEnd + lineBytes + typeBytes + idBytes > maxEventSize) {
      throw new SseTooLargeError(
        maxEventSize,
        `an event passed maxEventSize (${String(maxEventSize)} bytes)`,
      );
    }
  };

  /** Room for `size` bytes, keeping `[0, used)`; never more than the bound needs. */
  const reserve = (size: number): void => {
    if (size <= buffer.length) return;
    const grown = new Uint8Array(Math.max(size, Math.min(buffer.length * 2, maxEventSize)));
    grown.set(buffer.subarray(0, used));
    buffer = grown;
  };

  const dispatch = (): void => {
    const own = ownId;
    ownId = undefined;
    lastEventId = idBuffer;
    if (hasData) {
      const text = decoder.decode(buffer.subarray(0, dataEnd));
      onEvent({ event: type || 'message', data: text, id: own, lastEventId });
    }
    hasData = false;
    dataEnd = 0;
    used = 0;
    type = '';
    typeBytes = 0;
    if (buffer.length > spare) buffer = new Uint8Array(initial);
  };

  /** One line: `bytes[from, to)`, which is `buffer` itself when the line spanned chunks. */
  const line = (bytes: Uint8Array, from: number, to: number): void => {
    if (first) {
      first = false;
      if (
        to - from >= 3 &&
        bytes[from] === 0xef &&
        bytes[from + 1] === 0xbb &&
        bytes[from + 2] === 0xbf
      ) {
        from += 3;
      }
    }
    if (from === to) {
      dispatch();
      return;
    }
    used = dataEnd; // the line is consumed here, whatever it is
    if (bytes[from] === colon) return; // a comment
    let end = from;
    while (end < to && bytes[end] !== colon) end++;
    let value = end < to ? end + 1 : to;
    if (value < to && bytes[value] === space) value++;
    if (named(bytes, from, end, data)) {
      // The value moves to the end of the data (within `buffer` when the line is there too: it
      // only ever moves left, past its field name).
      const separator = hasData ? 1 : 0;
      reserve(dataEnd + separator + to - value);
      if (bytes === buffer) buffer.copyWithin(dataEnd + separator, value, to);
      else buffer.set(bytes.subarray(value, to), dataEnd + separator);
      if (hasData) buffer[dataEnd] = lf;
      dataEnd += separator + to - value;
      used = dataEnd;
      hasData = true;
    } else if (named(bytes, from, end, event)) {
      type = decoder.decode(bytes.subarray(value, to));
      typeBytes = to - value;
    } else if (named(bytes, from, end, id)) {
      if (bytes.subarray(value, to).includes(0)) return;
      idBuffer = decoder.decode(bytes.subarray(value, to));
      idBytes = to - value;
      ownId = idBuffer;
    } else if (named(bytes, from, end, retry)) {
      let ms = 0;
      for (let i = value; i < to; i++) {
        const digit = (bytes[i] ?? 0) - 0x30;
        if (digit < 0 || digit > 9) return;
        ms = ms * 10 + digit;
      }
      if (value < to) onRetry(ms);
    } // unknown fields are ignored
  };

  const feed = (chunk: Uint8Array): void => {
    if (chunk.length === 0) return; // keeps a CR that ended the last chunk waiting for its LF
    let start = 0;
    if (afterCr && chunk[0] === lf) start = 1; // the LF of a CRLF split between chunks
    afterCr = false;
    let nextLf = chunk.indexOf(lf, start);
    let nextCr = chunk.indexOf(cr, start);
    while (nextLf !== -1 || nextCr !== -1) {
      const i = nextCr === -1 || (nextLf !== -1 && nextLf < nextCr) ? nextLf : nextCr;
      check(used - dataEnd + i - start);
      if (used > dataEnd) {
        // The line began in an earlier chunk: it ends in the buffer.
        reserve(used + i - start);
        buffer.set(chunk.subarray(start, i), used);
        used += i - start;
        line(buffer, dataEnd, used);
      } else line(chunk, start, i);
      let next = i + 1;
      if (chunk[i] === cr) {
        if (next === chunk.length) afterCr = true;
        else if (chunk[next] === lf) next++;
      }
      start = next;
      if (nextLf !== -1 && nextLf < start) nextLf = chunk.indexOf(lf, start);
      if (nextCr !== -1 && nextCr < start) nextCr = chunk.indexOf(cr, start);
    }
    if (start < chunk.length) {
      check(used - dataEnd + chunk.length - start);
      reserve(used + chunk.length - start);
      buffer.set(chunk.subarray(start), used);
      used += chunk.length - start;
    }
  };

  return {
    feed,
    end: () => {
      dataEnd = 0;
      used = 0;
      hasData = false;
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

/** Whether `bytes[from, to)` is the ASCII field name `name`. */
function named(bytes: Uint8Array, from: number, to: number, name: readonly number[]): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (bytes[from + i] !== name[i]) return false;
  return true;
}
