import { checkInteger } from '../check.js';
import { describe } from '../describe.js';
import type { CorsOptions } from '../options.js';
import type { HttpHeaders, SseRequest } from '../types.js';
import { isToken } from '../wire/httpField.js';

/** A checked {@link CorsOptions}: what each request is answered with. */
export interface CorsPolicy {
  /**
   * The CORS headers for a request that sent `origin` (`undefined`: no `Origin` header); `null`
   * when its origin is not allowed.
   */
  headersFor(origin: string | undefined, req: SseRequest | Request): HttpHeaders | null;
  /** The extra headers of a preflight answer (with {@link CorsPolicy.headersFor}'s). */
  preflight: Record<string, string>;
  /** Whether answers depend on `Origin`, so every response must say `Vary: Origin`. */
  varies: boolean;
}

/**
 * Checks the options once, at setup; a mistake throws a `TypeError` naming it. `allow`: the
 * methods a preflight allows, the listener's.
 */
export function corsPolicy(options: CorsOptions, allow = 'GET, HEAD'): CorsPolicy {
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
  let allows: (origin: string, req: SseRequest | Request) => boolean;
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
  checkInteger('sse', 'options.cors.maxAge (s)', maxAge, 0, Number.MAX_SAFE_INTEGER);
  for (const name of [...allowHeaders, ...exposeHeaders] as unknown[]) {
    if (typeof name !== 'string' || !isToken(name)) {
      throw new TypeError(
        `sse: options.cors header names must be HTTP tokens (got ${describe(name)})`,
      );
    }
  }

  const wildcard = origin === '*';
  const common: Record<string, string> = {};
  if (credentials) common['Access-Control-Allow-Credentials'] = 'true';
  if (exposeHeaders.length > 0) common['Access-Control-Expose-Headers'] = exposeHeaders.join(', ');
  return {
    headersFor(sent, req) {
      // Same-origin and non-browser requests send no Origin: nothing to allow or refuse.
      // (Vary: Origin is in every response's head; see `varies`.)
      if (sent === undefined) return {};
      if (!allows(sent, req)) return null;
      return { ...common, 'Access-Control-Allow-Origin': wildcard ? '*' : sent };
    },
    varies: !wildcard,
    preflight: {
      'Access-Control-Allow-Methods': allow,
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
