import { dataText, encode, withFrame } from '../wire/encode.js';
import type { SseEvent } from '../wire/event.js';
import { originId, parseId, type EventId } from '../channel/eventId.js';
import type { ChannelEvent } from '../channel/types.js';

// How an event is stored in a Redis stream entry, so that other languages can publish too:
//   p  the id of the entry before it (written by the publish script; how a gap is noticed)
//   e  event type     d  data, as text     j  '1' when d is serialized (JSON), not a plain string
//   c  comment        r  retry (ms)
// Every field is optional except p.

/** A stream entry as node-redis gives it. */
export interface RawEntry {
  id: string;
  message: Record<string, string>;
}

/** The id stored before an entry (its `p`), read without decoding the rest. */
export function previousOf(raw: RawEntry): EventId {
  return parseId(raw.message['p'] ?? '') ?? originId;
}

/** The field/value list stored for an event (without `p`, which the publish script adds). */
export function toFields(event: ChannelEvent, serialize: (data: unknown) => string): string[] {
  const { data, event: type, comment, retry } = event;
  const text = data === undefined ? undefined : dataText(data, serialize);
  // Checked as a client would receive it; this also refuses what could not be stored.
  encode({ ...event, data: text });
  const fields: string[] = [];
  if (type !== undefined) fields.push('e', type);
  if (text !== undefined) fields.push('d', text);
  if (text !== undefined && typeof data !== 'string') fields.push('j', '1');
  if (comment !== undefined) fields.push('c', comment);
  if (retry !== undefined) fields.push('r', String(retry));
  return fields;
}

/**
 * Turns an entry read from Redis into the event a stream sends, encoded once here. Data that was
 * serialized is parsed back with `deserialize`, so filters see the same values in every process;
 * the frame keeps the stored text, so no process serializes it again. The caller has parsed the
 * entry's id; an entry without a previous id (`p`) is refused, as it would hide a gap.
 */
export function fromEntry(
  id: string,
  message: Readonly<Record<string, string | undefined>>,
  serialize: (data: unknown) => string,
  deserialize: (text: string) => unknown,
): Readonly<SseEvent> {
  const { p } = message;
  if (p === undefined || parseId(p) === undefined) {
    throw new TypeError(`rx-sse/redis: entry ${id} has no previous id (p)`);
  }
  return eventOf(id, message, serialize, deserialize);
}

/**
 * The event stored in an entry's fields (see {@link toFields}) with `id`, encoded once here: the
 * frame keeps the stored text, and data that was serialized is parsed back with `deserialize`.
 */
export function eventOf(
  id: string,
  message: Readonly<Record<string, string | undefined>>,
  serialize: (data: unknown) => string,
  deserialize: (text: string) => unknown,
): Readonly<SseEvent> {
  const { e, d, j, c, r } = message;
  const wire: SseEvent = { id };
  if (c !== undefined) wire.comment = c;
  if (e !== undefined) wire.event = e;
  if (r !== undefined) wire.retry = Number(r);
  if (d !== undefined) wire.data = d;
  const frame = encode(wire);
  const event: SseEvent = { ...wire };
  if (d !== undefined && j === '1') event.data = deserialize(d);
  return withFrame(event, frame, serialize);
}
