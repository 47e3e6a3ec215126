import { describe } from '../describe.js';
import { headerValueProblem, utf8Bytes } from './headerValue.js';

/**
 * A body `fromSse` can send, and send again on a reconnection: what `fetch` takes as `BodyInit`
 * but a `ReadableStream` (read once) — a string, bytes (an `ArrayBuffer` or a view of one), a
 * `Blob`, `URLSearchParams` or `FormData`. Named here rather than as the DOM's `BodyInit`, so that
 * a Node project without the `dom` lib type-checks rx-sse's declarations.
 */
export type SseRequestBody =
  string | ArrayBuffer | ArrayBufferView | Blob | URLSearchParams | FormData;

/** A body as it is sent: bytes copied into an `ArrayBuffer` of their own. */
type SentBody = string | ArrayBuffer | Uint8Array<ArrayBuffer> | Blob | URLSearchParams | FormData;

/** What a request `fromSse` makes may change: the first from its options, a later from `reconnect`. */
export interface SseRequestInit {
  /** Where to send it: absolute, or relative to the first request's URL. */
  url?: string | URL | undefined;
  /** The method. Defaults to `'GET'`. */
  method?: string | undefined;
  /** Headers, over `options.headers` (a name given here replaces it there). */
  headers?: ConstructorParameters<typeof Headers>[0] | undefined;
  /**
   * The body: a string, bytes (an `ArrayBuffer` or a view of one), a `Blob`, `URLSearchParams` or
   * `FormData` — anything `fetch` can send again, so not a `ReadableStream`. Not with GET or HEAD.
   */
  body?: SseRequestBody | undefined;
  /**
   * A value sent as JSON: the body becomes `JSON.stringify(json)`, and `Content-Type` is
   * `application/json` unless the headers name one. Not with `body`, GET or HEAD.
   */
  json?: unknown;
}

/** A request checked, ready to send (the client's own headers are set on each attempt). */
export interface SseRequest {
  url: URL;
  method: string;
  headers: Headers;
  body: SentBody | null;
}

/** The methods `fetch` uppercases whatever their case (Fetch standard, "normalize a method"). */
const normalized = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
/** RFC 9110 §9.2.2: sending these again has the effect of sending them once. */
const idempotent = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PUT']);
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Whether a request with `method` may be sent again without asking: RFC 9110 §9.2.2. */
export function isIdempotent(method: string): boolean {
  return idempotent.has(method);
}

/**
 * Checks a request's parts, so that each mistake is a `TypeError` naming where it came from
 * (`options.method`, or the `method` that `options.reconnect` returned), and a request is never sent changed.
 * `base` gives what a part left out takes: the URL relative ones resolve against, and the headers
 * the given ones go over.
 */
export function sseRequest(
  name: (part: string) => string,
  init: SseRequestInit,
  base: { url: URL; headers: Headers },
): SseRequest {
  const { url = base.url, method: given = 'GET', body, json } = init;
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`fromSse: ${name('url')} must be a string or a URL (got ${describe(url)})`);
  }
  const target = new URL(url, base.url); // throws a TypeError naming the bad URL
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TypeError(`fromSse: ${name('url')} must be http: or https: (got ${target.protocol})`);
  }
  if (target.username !== '' || target.password !== '') {
    throw new TypeError(`fromSse: ${name('url')} must not carry credentials; send them in headers`);
  }
  if (typeof given !== 'string' || !token.test(given)) {
    throw new TypeError(
      `fromSse: ${name('method')} must be an HTTP method (got ${describe(given)})`,
    );
  }
  const method = normalized.has(given.toUpperCase()) ? given.toUpperCase() : given;
  if (/^(CONNECT|TRACE|TRACK)$/i.test(method)) {
    throw new TypeError(`fromSse: ${name('method')} ${method} is one fetch refuses to send`);
  }
  // Headers refuses CR, LF and NUL, and strips the whitespace at either end, as Fetch says; undici
  // refuses the other control characters only when sending, on every attempt.
  const headers = new Headers(base.headers);
  for (const [header, value] of new Headers(init.headers)) {
    const problem = headerValueProblem(value);
    if (problem !== undefined) {
      throw new TypeError(
        `fromSse: ${name('headers')}: the value of ${JSON.stringify(header)} cannot be sent: ${problem}`,
      );
    }
    headers.set(header, value);
  }
  let sent: SentBody | null = null;
  if (json !== undefined) {
    if (body !== undefined)
      throw new TypeError(`fromSse: ${name('body')} and ${name('json')} exclude each other`);
    // undefined for a function, a symbol or undefined, whatever its type says.
    let text: unknown;
    try {
      text = JSON.stringify(json);
    } catch (error) {
      throw new TypeError(`fromSse: ${name('json')} cannot be sent as JSON`, { cause: error });
    }
    if (typeof text !== 'string') {
      throw new TypeError(`fromSse: ${name('json')} has no JSON form (got ${describe(json)})`);
    }
    sent = text;
    if (!headers.has('content-type')) headers.set('Content-Type', 'application/json');
  } else if (body !== undefined) {
    sent = resendable(name, body);
  }
  if (sent !== null && (method === 'GET' || method === 'HEAD')) {
    throw new TypeError(
      `fromSse: ${name('body')}: fetch sends no body with ${method}; set a method such as POST`,
    );
  }
  return { url: target, method, headers, body: sent };
}

/** `body` if `fetch` can send it as many times as asked, else a TypeError saying what to do. */
function resendable(name: (part: string) => string, body: unknown): SentBody {
  if (typeof body === 'string' || body instanceof URLSearchParams) return body;
  // Copied, so that bytes changed after the call do not change what a later attempt sends.
  if (body instanceof ArrayBuffer) return body.slice(0);
  if (ArrayBuffer.isView(body)) {
    return new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice();
  }
  if (typeof Blob === 'function' && body instanceof Blob) return body;
  if (typeof FormData === 'function' && body instanceof FormData) return body;
  if (typeof ReadableStream === 'function' && body instanceof ReadableStream) {
    throw new TypeError(
      `fromSse: ${name('body')} cannot be a ReadableStream: it can be read only once; pass a string, bytes or a Blob`,
    );
  }
  throw new TypeError(
    `fromSse: ${name('body')} must be a string, bytes, a Blob, URLSearchParams or FormData (got ${describe(body)}); for JSON, pass it as ${name('json')} (or JSON.stringify it and set Content-Type)`,
  );
}

/** The headers of one attempt: the request's, with the client's own (whatever case they came in). */
export function sentHeaders(headers: Headers, lastEventId: string): Headers {
  const sent = new Headers(headers);
  // An Accept naming text/event-stream among others is kept: MCP's Streamable HTTP asks a POST to
  // accept application/json too. Any other is replaced: the client reads nothing else.
  if (!/(^|,)\s*text\/event-stream\s*(;|,|$)/i.test(sent.get('accept') ?? '')) {
    sent.set('Accept', 'text/event-stream');
  }
  // Headers are bytes: an id beyond Latin-1 goes as its UTF-8 bytes, as browsers send it.
  if (lastEventId !== '') sent.set('Last-Event-ID', utf8Bytes(lastEventId));
  else sent.delete('Last-Event-ID');
  return sent;
}
