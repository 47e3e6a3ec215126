// HTTP field rules that both doors share (RFC 9110 §5), so that a header is refused at setup, the
// same way, whether node:http or a fetch `Headers` would later have to carry it. No node imports.

/** A field name is a token (RFC 9110 §5.1, §5.6.2). */
const token = /^[!#$%&'*+.^`|~\w-]+$/;

/**
 * Characters a field value may hold on both doors: HTAB, visible ASCII, SP, and obs-text up to
 * U+00FF (node:http sends a string's characters as latin1 bytes, and a fetch `Headers` value is a
 * ByteString). No CR, LF, NUL or other control character (RFC 9110 §5.5).
 */
const badValueChar = /[^\t\x20-\x7e\x80-\xff]/;

/** True when `name` can be an HTTP header name. */
export function isToken(name: string): boolean {
  return token.test(name);
}

/**
 * Checks each header of `headers` (a record of names to a value or a list of values) as an HTTP
 * field, and throws a `TypeError` naming it (as `label` does) when one cannot be sent as it is.
 */
export function checkHeaders(
  caller: string,
  label: (name: string) => string,
  headers: Readonly<Record<string, unknown>>,
): void {
  for (const [name, value] of Object.entries(headers)) {
    const values: unknown[] = [value].flat();
    const valid =
      isToken(name) &&
      values.every(
        (item) =>
          (typeof item === 'string' || typeof item === 'number') &&
          !badValueChar.test(String(item)),
      );
    if (!valid) {
      throw new TypeError(
        `${caller}: ${label(name)} is not a valid HTTP header: a name is a token, a value a string or number of visible latin1 characters, spaces and tabs (CR, LF and other control characters are refused, RFC 9110 §5)`,
      );
    }
  }
}
