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

/**
 * Why `fetch` refused a request before sending it, or `undefined` for a failure of the network
 * (which EventSource retries). undici rejects with `TypeError: fetch failed` either way; the
 * `cause` tells them apart: an invalid argument or an unsupported feature (codes below), or the
 * Fetch standard's own refusals, `bad port` and `unknown scheme`, which carry no code.
 */
export function refusal(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return cause.message;
  if (code === undefined && /^(bad port|unknown scheme)$/.test(cause.message)) {
    return cause.message;
  }
  return undefined;
}
