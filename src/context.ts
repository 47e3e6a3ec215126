import type { SseRequest } from './http.js';
import type { TLSSocket } from 'node:tls';
import { HttpError } from './errors.js';

/** What a handler knows about the request whose stream it makes. */
export interface SseContext {
  /** The request as node:http (or node:http2's compat API) gave it. */
  req: SseRequest;
  /** The request's URL, absolute, for `pathname` and `searchParams`. */
  url: URL;
  /**
   * Where the client wants to resume: the `Last-Event-ID` header, else the `lastEventId` query
   * parameter (for clients that cannot set headers). `undefined` when absent, empty, or longer
   * than `maxLastEventIdLength`: an id the server never issued is treated as no id at all.
   */
  lastEventId: string | undefined;
  /**
   * Aborts once the stream is over for any reason: the client went away, the server closed the
   * socket, the stream completed or failed. Pass it to `fetch` and the like so their work stops too.
   */
  signal: AbortSignal;
}

/** Longest `Last-Event-ID` taken from a client, in UTF-16 code units. */
export const defaultMaxLastEventIdLength = 1024;

/** Builds the context of one request; a request URL that cannot be parsed is a 400. */
export function createContext(
  req: SseRequest,
  signal: AbortSignal,
  maxLastEventIdLength: number = defaultMaxLastEventIdLength,
): SseContext {
  const url = requestUrl(req);
  const sent = req.headers['last-event-id'];
  const lastEventId = lastEventIdOf(
    Array.isArray(sent) ? sent[0] : sent,
    url,
    maxLastEventIdLength,
  );
  return { req, url, lastEventId, signal };
}

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
 * node:http reads header bytes as latin1, but a browser sends `Last-Event-ID` as UTF-8 (the id it
 * got, verbatim). Bytes that are valid UTF-8 are read as such; others are left as latin1.
 */
function utf8Header(value: string | undefined): string | undefined {
  if (value === undefined || !/[\u0080-\u00ff]/.test(value)) return value;
  try {
    return utf8.decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}

// A Host header is a host and an optional port: no slash, query, fragment, userinfo or space.
const hostPattern = /^[\w.~!$&'()*+,;=:%[\]-]+$/;

function requestUrl(req: SseRequest): URL {
  const scheme = (req.socket as Partial<TLSSocket> | null)?.encrypted ? 'https' : 'http';
  const path = req.url ?? '/';
  // HTTP/2 names the host in `:authority` (a `host` header is optional there).
  const sentHost = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  // A Host header that is not a host must not cost the client its stream; the path still counts.
  const host = sentHost !== undefined && hostPattern.test(sentHost) ? sentHost : 'localhost';
  try {
    // An origin-form target is appended, not resolved: `//rooms/7` is a path, not a host.
    return path.startsWith('/') ? new URL(`${scheme}://${host}${path}`) : new URL(path);
  } catch (error) {
    throw new HttpError(400, 'Bad request URL', { cause: error });
  }
}
