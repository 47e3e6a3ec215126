import { fieldValueFault } from '../wire/fieldValue.js';

/**
 * Why `value` cannot be sent as an HTTP field value unchanged, or `undefined` if it can: the rule
 * of {@link fieldValueFault} (RFC 9110 §5.5), with the first character that breaks it named.
 * `Headers` would strip edge whitespace (sending another value) and undici refuses control
 * characters at every attempt, so both are caught before sending. Characters past 0x7F go as their
 * UTF-8 bytes (see {@link utf8Bytes}).
 */
export function headerValueProblem(value: string): string | undefined {
  const fault = fieldValueFault(value);
  if (fault === undefined) return undefined;
  if (fault === 'edge whitespace') return 'it starts or ends with a space or a tab';
  if (fault === 'unpaired surrogate') return 'it holds an unpaired surrogate, which has no UTF-8';
  // Name the first: tried alone, a control character is still one (and a space is not), and each
  // is a single UTF-16 unit, so the index is the string's own. There is one, so the loop ends.
  let at = 0;
  while (!isControl(value.charAt(at))) at++;
  const code = value.charCodeAt(at);
  return `it holds the control character U+${code.toString(16).toUpperCase().padStart(4, '0')} at ${String(at)}`;
}

function isControl(char: string): boolean {
  const fault = fieldValueFault(char);
  return fault === 'control character' || fault === 'line break';
}

/** A header value holding the UTF-8 bytes of `text`, one character per byte, as browsers send it. */
export function utf8Bytes(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}
