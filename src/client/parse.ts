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

export interface SseParser {
  /**
   * Feeds bytes as they arrive; a chunk may end anywhere, even inside a character or a CRLF.
   * @throws {SseTooLargeError} when the event being read passes `maxEventSize`; the parser is then
   *   spent (drop it).
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

const lf = 10;
const cr = 13;

/**
 * The WHATWG `text/event-stream` interpretation, byte by byte: UTF-8 with a leading BOM dropped
 * (only at the start), lines ended by CRLF, LF or CR, `:` comments, one optional space after the
 * colon, `data` lines joined with LF, `id` ignored when it contains NUL (and kept across events),
 * `retry` only when all ASCII digits, an event dispatched at a blank line only when it has data.
 *
 * What it holds is bounded by `maxEventSize` (characters; defaults to no bound): the event's data
 * so far (its lines joined with LF), its type and the whole line being read (field name included),
 * together, checked at each line end and at the end of each chunk, so the same wherever the chunks
 * split. Past it, `feed` throws an {@link SseTooLargeError} instead of holding more.
 *
 * Written here rather than taken from eventsource-parser (which the specs use as an independent
 * oracle) so that `rx-sse/client` depends on nothing but rxjs, and so that the BOM and the id
 * carried across reconnections follow the stream, not a parser instance's guess.
 */
export function createParser(
  onEvent: (event: ParsedEvent) => void,
  onRetry: (ms: number) => void,
  lastEventId = '',
  maxEventSize = Infinity,
): SseParser {
  const decoder = new TextDecoder('utf-8'); // drops one leading BOM; ignores none after
  let pending = '';
  let afterCr = false;
  let data = '';
  let hasData = false;
  let type = '';
  let idBuffer = lastEventId;
  let ownId: string | undefined;

  const line = (text: string): void => {
    if (text === '') {
      const id = ownId;
      ownId = undefined;
      lastEventId = idBuffer;
      if (hasData) onEvent({ event: type || 'message', data, id, lastEventId });
      data = '';
      hasData = false;
      type = '';
      return;
    }
    if (text.charCodeAt(0) === 58) return; // ':' comment
    const colon = text.indexOf(':');
    const name = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (name) {
      case 'event':
        type = value;
        break;
      case 'data':
        data = hasData ? `${data}\n${value}` : value;
        hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) {
          idBuffer = value;
          ownId = value;
        }
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) onRetry(Number(value));
        break;
      default: // unknown fields are ignored
    }
  };

  const tooLarge = (): never => {
    throw new SseTooLargeError(
      maxEventSize,
      `an event passed maxEventSize (${String(maxEventSize)} characters)`,
    );
  };

  const scan = (text: string): void => {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === lf && afterCr && i === start) {
        // The LF of a CRLF whose CR ended the previous piece.
        afterCr = false;
        start = i + 1;
        continue;
      }
      afterCr = false;
      if (code === lf || code === cr) {
        // A data or event line adds at most its own length to what the event holds.
        if (pending.length + i - start + data.length + type.length > maxEventSize) tooLarge();
        line(pending + text.slice(start, i));
        pending = '';
        if (code === cr) {
          if (text.charCodeAt(i + 1) === lf) i++;
          else afterCr = i + 1 === text.length;
        }
        start = i + 1;
      }
    }
    pending += text.slice(start);
    if (pending.length + data.length + type.length > maxEventSize) tooLarge();
  };

  return {
    feed: (bytes) => {
      scan(decoder.decode(bytes, { stream: true }));
    },
    end: () => {
      scan(decoder.decode());
      pending = '';
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}
