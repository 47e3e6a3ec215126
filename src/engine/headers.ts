import { describe } from '../describe.js';
import type { HttpHeaders } from '../types.js';
import { checkHeaders } from '../wire/httpField.js';

/**
 * Headers that describe one connection rather than the response. HTTP/2 forbids them (node:http2
 * throws on all but `Connection`), a fetch runtime manages its own, and on HTTP/1 they are the
 * server's to manage.
 */
export const connectionHeaders: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  // HTTP/2's own: node:http2 refuses them in a response too.
  'te',
  'http2-settings',
]);

const baseHeaders: Readonly<Record<string, string>> = Object.freeze({
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  // nginx buffers proxied responses unless told not to, which would hold events back.
  'X-Accel-Buffering': 'no',
});

/** The head of every stream of one `sse()` listener, for HTTP/1.x and for HTTP/2. */
export interface HeadSet {
  /** For node's HTTP/1.1 requests that keep the connection: with `Connection: keep-alive`. */
  keepAlive: HttpHeaders;
  /** For the fetch door, HTTP/1.0, `Connection: close` requests and HTTP/2: no connection header. */
  plain: HttpHeaders;
  /** The user's own headers alone, for refusals. */
  extra: HttpHeaders;
}

/**
 * Merges the user's headers over the SSE ones, once, at setup. A user header replaces a base header
 * of the same name (case-insensitively), except `Content-Type`: a stream is `text/event-stream`.
 * Names and values are checked as HTTP fields (RFC 9110 §5), so a CR or LF is refused here
 * rather than on the first request.
 */
export function streamHeaders(
  extra: HttpHeaders | undefined = {},
  vary: { origin?: boolean | undefined; encoding?: boolean | undefined } = {},
  caller = 'sse',
): HeadSet {
  const value: unknown = extra;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${caller}: options.headers must be an object of header names to values (got ${describe(value)})`,
    );
  }
  type Entry = [string, string | number | readonly string[]];
  const merged = new Map<string, Entry>();
  /** The user's headers alone, for refusals. */
  const own = new Map<string, Entry>();
  for (const [name, value] of Object.entries(baseHeaders))
    merged.set(name.toLowerCase(), [name, value]);
  for (const [name, value] of Object.entries(extra)) {
    if (name.toLowerCase() === 'content-type') {
      throw new TypeError(
        `${caller}: options.headers must not set Content-Type: a stream is text/event-stream`,
      );
    }
    if (connectionHeaders.has(name.toLowerCase())) {
      throw new TypeError(
        `${caller}: options.headers must not set ${name}: connection headers are the server's to manage (and HTTP/2 forbids them)`,
      );
    }
    checkHeaders(caller, (header) => `options.headers[${JSON.stringify(header)}]`, {
      [name]: value,
    });
    merged.set(name.toLowerCase(), [name, value]);
    own.set(name.toLowerCase(), [name, value]);
  }
  /** Adds `name` to the Vary header of `headers`. */
  const addVary = (headers: Map<string, Entry>, name: string): void => {
    const vary = headers.get('vary');
    const value = vary === undefined ? name : `${[vary[1]].flat().join(', ')}, ${name}`;
    headers.set('vary', [vary?.[0] ?? 'Vary', value]);
  };
  if (vary.origin === true) {
    // Answers that depend on Origin must say so, or a shared cache hands one origin's to another.
    addVary(merged, 'Origin');
    addVary(own, 'Origin');
  }
  // Streams are gzipped or not by Accept-Encoding (refusals never are).
  if (vary.encoding === true) addVary(merged, 'Accept-Encoding');
  const plain = Object.freeze(Object.fromEntries(merged.values())) as HttpHeaders;
  // HTTP/2 forbids connection-specific headers; HTTP/1.1 proxies want to be told to keep it open.
  const keepAlive = Object.freeze({ ...plain, Connection: 'keep-alive' }) as HttpHeaders;
  const ownHeaders = Object.freeze(Object.fromEntries(own.values())) as HttpHeaders;
  return { keepAlive, plain, extra: ownHeaders };
}
