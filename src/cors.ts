import type { OutgoingHttpHeaders } from 'node:http';
import type { SseRequest } from './http.js';
import { describe } from './encode.js';

/**
 * Cross-origin access to a stream, for pages served from another origin. Without it rx-sse sends
 * no CORS header, and a browser page on another origin cannot read the stream.
 */
export interface CorsOptions {
  /**
   * The origins whose pages may read the stream: exact origins (`'https://app.example'`), `'*'`
   * for any page (not with `credentials`), or a function that decides per request. A request
   * from any other origin is refused with `403` before a stream opens. The `Origin` a request
   * sends is only ever echoed back when this allows it.
   */
  origin: readonly string[] | '*' | ((origin: string, req: SseRequest) => boolean);
  /** Lets the page send cookies (`new EventSource(url, { withCredentials: true })`). Defaults to `false`. */
  credentials?: boolean | undefined;
  /** Request headers a preflight may ask for. Defaults to `['Last-Event-ID', 'Authorization']`. */
  allowHeaders?: readonly string[] | undefined;
  /** Response headers the page may read. Defaults to none. */
  exposeHeaders?: readonly string[] | undefined;
  /** How long (s) a browser may reuse a preflight answer. Defaults to `600`. */
  maxAge?: number | undefined;
}

/** A checked {@link CorsOptions}: what each request is answered with. */
export interface CorsPolicy {
  /** The CORS headers for a request; `null` when its origin is not allowed. */
  headersFor(req: SseRequest): OutgoingHttpHeaders | null;
  /** The extra headers of a preflight answer (with {@link CorsPolicy.headersFor}'s). */
  preflight: OutgoingHttpHeaders;
  /** Whether answers depend on `Origin`, so every response must say `Vary: Origin`. */
  varies: boolean;
}

/** Checks the options once, at setup; a mistake throws a `TypeError` naming it. */
export function corsPolicy(options: CorsOptions): CorsPolicy {
  const value: unknown = options;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(
      `sse: options.cors must be an object such as { origin: ['https://app.example'] } (got ${describe(value)})`,
    );
  }
  const {
    origin,
    credentials = false,
    allowHeaders = ['Last-Event-ID', 'Authorization'],
    exposeHeaders = [],
    maxAge = 600,
  } = options;
  let allows: (origin: string, req: SseRequest) => boolean;
  if (origin === '*') {
    if (credentials) {
      throw new TypeError(
        "sse: options.cors.origin '*' cannot go with credentials: browsers refuse it; list the origins",
      );
    }
    allows = () => true;
  } else if (typeof origin === 'function') {
    allows = origin;
  } else if (Array.isArray(origin)) {
    for (const entry of origin as unknown[]) checkOrigin(entry);
    const allowed = new Set(origin);
    allows = (sent) => allowed.has(sent);
  } else {
    throw new TypeError(
      `sse: options.cors.origin must be a list of origins, '*' or a function (got ${describe(origin)})`,
    );
  }
  if (typeof credentials !== 'boolean') {
    throw new TypeError(
      `sse: options.cors.credentials must be a boolean (got ${describe(credentials)})`,
    );
  }
  if (!Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw new TypeError(
      `sse: options.cors.maxAge must be a non-negative integer of seconds (got ${describe(maxAge)})`,
    );
  }
  for (const name of [...allowHeaders, ...exposeHeaders] as unknown[]) {
    if (typeof name !== 'string' || !/^[!#$%&'*+.^`|~\w-]+$/.test(name)) {
      throw new TypeError(
        `sse: options.cors header names must be HTTP tokens (got ${describe(name)})`,
      );
    }
  }

  const wildcard = origin === '*';
  const common: OutgoingHttpHeaders = {};
  if (credentials) common['Access-Control-Allow-Credentials'] = 'true';
  if (exposeHeaders.length > 0) common['Access-Control-Expose-Headers'] = exposeHeaders.join(', ');
  return {
    headersFor(req) {
      const sent = req.headers.origin;
      // Same-origin and non-browser requests send no Origin: nothing to allow or refuse.
      // (Vary: Origin is in every response's head; see `varies`.)
      if (sent === undefined) return {};
      if (!allows(sent, req)) return null;
      return { ...common, 'Access-Control-Allow-Origin': wildcard ? '*' : sent };
    },
    varies: !wildcard,
    preflight: {
      'Access-Control-Allow-Methods': 'GET, HEAD',
      'Access-Control-Allow-Headers': allowHeaders.join(', '),
      'Access-Control-Max-Age': String(maxAge),
    },
  };
}

function checkOrigin(entry: unknown): void {
  let parsed: URL | undefined;
  try {
    parsed = typeof entry === 'string' ? new URL(entry) : undefined;
  } catch {
    parsed = undefined;
  }
  if (parsed?.origin !== entry) {
    throw new TypeError(
      `sse: options.cors.origin entries must be origins such as 'https://app.example', with no path or trailing slash (got ${describe(entry)})`,
    );
  }
}

/** True for a CORS preflight: an OPTIONS request that names the method it wants to make. */
export function isPreflight(req: SseRequest): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}
