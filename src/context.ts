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

/**
 * The context of one request. `url` and `signal` are made when first read (most handlers need
 * neither, and together they cost ~0.5 KB per open stream), yet they behave as plain fields: own,
 * enumerable (a `{ ...ctx }` copy has them) and assignable. A request URL that cannot be parsed
 * is a 400 all the same, at once.
 */
export class RequestContext implements SseContext {
  readonly req: SseRequest;
  readonly lastEventId: string | undefined;
  // Own accessors, defined in the constructor (shared functions, so no closure per request).
  declare url: URL;
  declare signal: AbortSignal;
  /** `req.url` as it was when the request came: middleware may rewrite it later. */
  readonly #path: string;
  #url: URL | undefined;
  #controller: AbortController | undefined;
  /** A signal a handler assigned in place of the context's own. */
  #signal: AbortSignal | undefined;
  /** Set once the stream is over, with the reason the signal aborts with. */
  #ended: { reason: unknown } | undefined;

  static readonly #fields: PropertyDescriptorMap = {
    url: {
      enumerable: true,
      configurable: true,
      get(this: RequestContext): URL {
        return (this.#url ??= new URL(urlText(this.req, this.#path)));
      },
      set(this: RequestContext, url: URL): void {
        this.#url = url;
      },
    },
    signal: {
      enumerable: true,
      configurable: true,
      get(this: RequestContext): AbortSignal {
        if (this.#signal !== undefined) return this.#signal;
        if (this.#controller === undefined) {
          this.#controller = new AbortController();
          if (this.#ended !== undefined) this.#controller.abort(this.#ended.reason);
        }
        return this.#controller.signal;
      },
      set(this: RequestContext, signal: AbortSignal): void {
        this.#signal = signal;
      },
    },
  };

  constructor(req: SseRequest, maxLastEventIdLength: number = defaultMaxLastEventIdLength) {
    this.req = req;
    this.#path = req.url ?? '/';
    Object.defineProperties(this, RequestContext.#fields);
    if (!URL.canParse(urlText(req, this.#path))) {
      // Parsed again, to carry the parser's own error.
      try {
        new URL(urlText(req, this.#path));
      } catch (error) {
        throw new HttpError(400, 'Bad request URL', { cause: error });
      }
    }
    const sent = req.headers['last-event-id'];
    const header = Array.isArray(sent) ? sent[0] : sent;
    // The query is only looked at without a header, and only parsed when there is one.
    const query = (header === undefined || header === '') && this.#path.includes('?');
    this.lastEventId = lastEventIdOf(header, query ? this.url : undefined, maxLastEventIdLength);
  }

  /** The stream is over: the signal aborts (now, or as it is first read). Idempotent. */
  end(reason?: unknown): void {
    if (this.#ended !== undefined) return;
    this.#ended = { reason };
    this.#controller?.abort(reason);
  }

  /** Whether `error` is what the end of the stream caused in code listening on the signal. */
  isEndOf(error: unknown): boolean {
    return (
      this.#ended !== undefined &&
      ((this.#controller !== undefined && error === this.#controller.signal.reason) ||
        (error as { name?: unknown } | null)?.name === 'AbortError')
    );
  }
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

/** The request's absolute URL, as text for `new URL`. */
function urlText(req: SseRequest, path: string): string {
  // An origin-form target is appended, not resolved: `//rooms/7` is a path, not a host.
  if (!path.startsWith('/')) return path;
  const scheme = (req.socket as Partial<TLSSocket> | null)?.encrypted ? 'https' : 'http';
  // HTTP/2 names the host in `:authority` (a `host` header is optional there).
  const sentHost = req.headers.host ?? (req.headers[':authority'] as string | undefined);
  // A Host header that is not a host must not cost the client its stream; the path still counts.
  const host = sentHost !== undefined && hostPattern.test(sentHost) ? sentHost : 'localhost';
  return `${scheme}://${host}${path}`;
}
