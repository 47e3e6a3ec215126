import { describe } from '../describe.js';
import { SseEventError } from '../errors.js';
import type { EncodeOptions } from '../options.js';
import { eventFields, type SseEvent } from './event.js';
import { fieldValueFault, type FieldValueFault } from './fieldValue.js';

const lineBreak = /\r\n|\r|\n/;

// indexOf beats a regex test by about 3× here, and these scans run on every payload.
function hasLineBreak(text: string): boolean {
  return text.indexOf('\n') !== -1 || text.indexOf('\r') !== -1;
}

/**
 * Writes one event in the WHATWG `text/event-stream` format, or throws before writing anything.
 *
 * Strings in `data` and `comment` are split on CRLF, CR and LF, one line each, so a payload can
 * never end its field early or start another; an empty string is still one `data:` line. `event`
 * is refused (not escaped) when a line break could forge a field. `id` is refused unless it can
 * come back unchanged as the `Last-Event-ID` header value a reconnecting client sends: no control
 * character but HTAB (U+0000–U+0008, U+000A–U+001F, U+007F; this includes CR, LF and NUL) and no
 * space or HTAB at either end, which HTTP trims (RFC 9110 §5.5), and no unpaired surrogate (it has
 * no UTF-8). Other characters, non-ASCII too, are kept: a client sends them as UTF-8 and they
 * come back as they were. A number id is fine when finite.
 * Each refusal is an {@link SseEventError} whose `field` names what was wrong. Field order is
 * `:` comment, `event`, `id`, `retry`, `data`, then the blank line that dispatches the event.
 *
 * @param event The event to write.
 * @param options How to turn `data` that is not a string into text. Defaults to `JSON.stringify`.
 * @returns The event's frame: its fields, one per line, then the blank line.
 * @throws {SseEventError} when the event cannot be written as it is; nothing of it is written.
 *
 * ## Example
 * ```ts
 * import { encode } from 'rx-sse';
 *
 * console.log(JSON.stringify(encode({ event: 'counter', id: 7, data: { n: 7 } })));
 * // Logs:
 * // "event: counter\nid: 7\ndata: {\"n\":7}\n\n"
 * ```
 */
export function encode(event: SseEvent, options?: EncodeOptions): string {
  // Checked at run time too: events come from user code, often untyped or cast.
  const value: unknown = event;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SseEventError(
      'fields',
      `encode: an event must be an object such as { data: 'hi' } (got ${describe(value)})`,
    );
  }
  // An event prepared by preEncode carries its frame: the broadcast path costs one lookup.
  const prepared = (event as Prepared)[frameOf];
  if (prepared !== undefined && prepared.serialize === (options?.serialize ?? JSON.stringify)) {
    return prepared.frame;
  }
  // for-in with no allocation: this check runs on every event.
  for (const key in event) {
    if (!eventFields.has(key)) {
      const hint = key === 'name' || key === 'type' ? ' (the event type is "event")' : '';
      throw new SseEventError(
        'fields',
        `encode: unknown field ${JSON.stringify(key)}${hint}; an event has only data, event, id, retry and comment`,
      );
    }
  }
  const { data, event: type, id, retry, comment } = event;
  let out = '';

  if (comment !== undefined) {
    if (typeof comment !== 'string') {
      throw new SseEventError(
        'comment',
        `encode: "comment" must be a string (got ${describe(comment)})`,
      );
    }
    out += lines(':', comment);
  }
  if (type !== undefined) {
    if (typeof type !== 'string') {
      throw new SseEventError('event', `encode: "event" must be a string (got ${describe(type)})`);
    }
    if (hasLineBreak(type)) {
      throw new SseEventError(
        'event',
        `encode: "event" must not contain CR or LF (got ${JSON.stringify(type)}): a line break would end the field early`,
      );
    }
    out += field('event', type);
  }
  if (id !== undefined) out += field('id', idText(id));
  if (retry !== undefined) {
    if (typeof retry !== 'number' || !Number.isSafeInteger(retry) || retry < 0) {
      throw new SseEventError(
        'retry',
        `encode: "retry" must be a non-negative integer of milliseconds (got ${describe(retry)})`,
      );
    }
    out += field('retry', String(retry));
  }
  if (data !== undefined)
    out += lines('data:', dataText(data, options?.serialize ?? JSON.stringify));

  if (out === '') {
    throw new SseEventError(
      'fields',
      'encode: an event needs at least one of data, event, id, retry or comment (got none; undefined counts as absent)',
    );
  }
  return out + '\n';
}

// A symbol, not a field: for-in, spreads and deep equality never see it, so a copy made with
// `{ ...event, data }` is encoded afresh from its own fields.
const frameOf = Symbol('rx-sse frame');

interface Prepared {
  [frameOf]?: { readonly frame: string; readonly serialize: (data: unknown) => string };
}

/**
 * Encodes an event now and returns a frozen copy that carries its frame, so that sending it to
 * any number of clients encodes it once: each stream that sends the copy with the same
 * `serialize` (by default, `JSON.stringify`) reuses the bytes instead of encoding them again.
 * Throws like {@link encode} on an event it refuses.
 *
 * Data is serialized now: a `data` object changed after this call is sent as it was. A stream
 * with a different `serialize` encodes the copy itself, so what a client receives never depends
 * on whether the shortcut was taken. Channels (`rx-sse/channel`) prepare what they publish this
 * way; use it for a broadcast of your own, such as a shared `Subject`.
 *
 * ## Example
 * ```ts
 * import { Subject } from 'rxjs';
 * import { preEncode, sse, type SseEvent } from 'rx-sse';
 *
 * const prices = new Subject<SseEvent>();
 * const listener = sse(() => prices);
 * prices.next(preEncode({ event: 'price', data: { eur: 1.08 } })); // encoded once, for everyone
 * export { listener };
 * ```
 *
 * @param event The event to encode.
 * @param options How to turn `data` that is not a string into text. Defaults to `JSON.stringify`.
 * @returns A frozen shallow copy of `event` that carries its frame.
 * @throws {SseEventError} when `encode` refuses the event.
 */
export function preEncode<T extends SseEvent>(event: T, options?: EncodeOptions): Readonly<T> {
  const frame = encode(event, options);
  return withFrame({ ...event }, frame, options?.serialize ?? JSON.stringify);
}

/**
 * Attaches an already encoded frame to an event and freezes it. The caller vouches that `frame`
 * is what `encode(event, { serialize })` returns (a channel decoding what another process
 * encoded knows it is).
 */
export function withFrame<T extends SseEvent>(
  event: T,
  frame: string,
  serialize: (data: unknown) => string,
): Readonly<T> {
  Object.defineProperty(event, frameOf, { value: { frame, serialize } });
  return Object.freeze(event);
}

function idText(id: unknown): string {
  if (typeof id === 'number') {
    if (!Number.isFinite(id)) {
      throw new SseEventError(
        'id',
        `encode: "id" must be a finite number or a string (got ${String(id)})`,
      );
    }
    return String(id);
  }
  if (typeof id !== 'string') {
    throw new SseEventError(
      'id',
      `encode: "id" must be a string or a number (got ${describe(id)})`,
    );
  }
  const fault = fieldValueFault(id);
  if (fault !== undefined) throw new SseEventError('id', `encode: ${idFaults[fault](shown(id))}`);
  return id;
}

const idFaults: Record<FieldValueFault, (id: string) => string> = {
  'line break': (id) =>
    `"id" must not contain CR or LF (got ${id}): a line break would end the field early`,
  'control character': (id) =>
    `"id" must not contain a control character other than HTAB (got ${id}): a client sends the id back as its Last-Event-ID header, whose value cannot hold one (RFC 9110 §5.5), so its reconnection would be refused`,
  'unpaired surrogate': (id) =>
    `"id" must not contain an unpaired surrogate (got ${id}): it has no UTF-8, so it would go out, and come back as Last-Event-ID, as U+FFFD`,
  'edge whitespace': (id) =>
    `"id" must not start or end with a space or HTAB (got ${id}): a client sends the id back as its Last-Event-ID header, whose value HTTP trims (RFC 9110 §5.5), so it would come back changed`,
};

/** An id as JSON shows it, with DEL made visible too. */
function shown(id: string): string {
  return JSON.stringify(id).replaceAll('\x7f', '\\u007f');
}

/** The text of `data`: a string as it is, anything else serialized (refused when it cannot be). */
export function dataText(data: unknown, serialize: (data: unknown) => string): string {
  if (typeof data === 'string') return data;
  let text: unknown;
  try {
    text = serialize(data);
  } catch (error) {
    throw new SseEventError(
      'data',
      `encode: "data" could not be serialized: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (typeof text !== 'string') {
    throw new SseEventError(
      'data',
      `encode: "data" serialized to ${describe(text)}, not a string (JSON has no form for undefined, functions or symbols)`,
    );
  }
  return text;
}

function field(name: string, value: string): string {
  return line(`${name}:`, value);
}

function lines(prefix: string, text: string): string {
  if (!hasLineBreak(text)) return line(prefix, text);
  let out = '';
  for (const part of text.split(lineBreak)) out += line(prefix, part);
  return out;
}

function line(prefix: string, value: string): string {
  return value === '' ? `${prefix}\n` : `${prefix} ${value}\n`;
}
