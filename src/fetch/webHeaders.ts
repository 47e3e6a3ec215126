import { connectionHeaders } from '../engine/headers.js';
import { refusalHead, refusalOf } from '../engine/refusal.js';
import type { HttpHeaders } from '../types.js';

/**
 * `record`'s headers as the entries of a fetch `Headers`: a list is the header several times.
 * Connection headers are left out: a fetch runtime manages its connections itself (and HTTP/2
 * forbids them).
 */
export function headerEntries(...records: (HttpHeaders | null | undefined)[]): [string, string][] {
  const byName = new Map<string, [string, string][]>();
  for (const record of records) {
    if (record === null || record === undefined) continue;
    for (const [name, value] of Object.entries(record)) {
      const key = name.toLowerCase();
      if (connectionHeaders.has(key)) continue;
      // A later record's header replaces an earlier one's of the same name.
      byName.set(
        key,
        [value].flat().map((item) => [name, String(item)]),
      );
    }
  }
  return [...byName.values()].flat();
}

/**
 * The `Response` that refuses a stream for `error` (see `refusalOf`): `extra` (the listener's own
 * headers, CORS's) go out too; the error's headers win over them.
 */
export function refusalResponse(
  error: unknown,
  ...extra: (HttpHeaders | null | undefined)[]
): Response {
  const { status, body, headers } = refusalOf(error);
  const entries = headerEntries(...extra, headers, body === undefined ? undefined : refusalHead);
  return new Response(body ?? null, { status, headers: entries });
}
