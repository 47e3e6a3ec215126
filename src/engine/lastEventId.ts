/** Longest `Last-Event-ID` taken from a client, in UTF-16 code units. */
export const defaultMaxLastEventIdLength = 1024;

/**
 * Where a client wants to resume: the `Last-Event-ID` header as sent (read as UTF-8 where its
 * bytes are), else the `lastEventId` query parameter; `undefined` when absent, empty or too long.
 */
export function lastEventIdOf(
  header: string | null | undefined,
  url: URL | undefined,
  maxLength: number,
): string | undefined {
  const sent = utf8Header(header ?? undefined);
  const raw = sent !== undefined && sent !== '' ? sent : url?.searchParams.get('lastEventId');
  return raw && raw.length <= maxLength ? raw : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * node:http (and runtimes built on it) read header bytes as latin1, but a browser sends
 * `Last-Event-ID` as UTF-8 (the id it got, verbatim). A value whose characters are all bytes, and
 * valid UTF-8 as bytes, is read as UTF-8; any other is left as it is.
 */
function utf8Header(value: string | undefined): string | undefined {
  if (value === undefined || !/[\u0080-\u00ff]/.test(value) || /[\u0100-\uffff]/.test(value)) {
    return value;
  }
  try {
    return utf8.decode(Uint8Array.from(value, (char) => char.charCodeAt(0)));
  } catch {
    return value;
  }
}
