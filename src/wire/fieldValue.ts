/** Why a string cannot travel as an HTTP field value unchanged: see {@link fieldValueFault}. */
export type FieldValueFault =
  'line break' | 'control character' | 'unpaired surrogate' | 'edge whitespace';

/**
 * What keeps `value` from travelling unchanged as an HTTP field value, or `undefined` when nothing
 * does. RFC 9110 §5.5: a field value holds no control character but HTAB (so no CR, LF, NUL or
 * DEL), and a space or HTAB at either end is trimmed by the recipient. Bytes from 0x80 are
 * obs-text, which node's parser accepts, so non-ASCII text (sent as its UTF-8 bytes) is kept — but
 * not an unpaired surrogate, which has no UTF-8 and goes out as U+FFFD.
 *
 * One rule for both ends: the server refuses an event id a client could not send back as
 * `Last-Event-ID`, and the client refuses a header it could not send. No imports, so the client
 * and the browser can use it.
 */
export function fieldValueFault(value: string): FieldValueFault | undefined {
  // One pass over char codes and no allocation: encode runs it for every event with an id. A line
  // break is named first, as it is the worst in an id: it could forge a field.
  let control = false;
  let unpaired = false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code === 0x0a || code === 0x0d) return 'line break';
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) control = true;
    else if ((code & 0xf800) === 0xd800) {
      // A high surrogate followed by a low one is one character; anything else is unpaired.
      if (code <= 0xdbff && (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
      else unpaired = true;
    }
  }
  if (control) return 'control character';
  if (unpaired) return 'unpaired surrogate';
  const last = value.length - 1;
  if (last >= 0 && (isEdgeSpace(value.charCodeAt(0)) || isEdgeSpace(value.charCodeAt(last)))) {
    return 'edge whitespace';
  }
  return undefined;
}

function isEdgeSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
