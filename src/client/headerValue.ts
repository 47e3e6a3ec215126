/**
 * Why `value` cannot be sent as an HTTP field value unchanged, or `undefined` if it can.
 *
 * RFC 9110 §5.5: a field value is visible characters, SP, HTAB and bytes from 0x80 (obs-text), with
 * no leading or trailing SP or HTAB. `Headers` would strip such whitespace (sending another value)
 * and undici refuses the control characters at every attempt, so both are caught before sending.
 * Characters past 0x7F go as their UTF-8 bytes (see {@link utf8Bytes}), all of them obs-text.
 */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
      return `it holds the control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at ${String(i)}`;
    }
  }
  if (/^[ \t]|[ \t]$/.test(value)) return 'it starts or ends with a space or a tab';
  return undefined;
}

/** A header value holding the UTF-8 bytes of `text`, one character per byte, as browsers send it. */
export function utf8Bytes(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}
