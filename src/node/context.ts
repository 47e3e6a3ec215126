import type { TLSSocket } from 'node:tls';
import { lastEventIdOf, defaultMaxLastEventIdLength } from '../engine/lastEventId.js';
import {
  BodyCollector,
  bodyAborted,
  bodyJson,
  bodyText,
  defaultMaxBodyBytes,
} from '../engine/body.js';
import { EndingContext } from '../engine/endingContext.js';
import { HttpError } from '../errors.js';
import type { SseContext, SseRequest } from '../types.js';

/**
 * The context of one request on the node door. `url`, `signal` and `request` are made when first
 * read (most handlers need none of them, and `url` and `signal` together cost ~0.5 KB per open
 * stream), yet they behave as plain fields: own, enumerable (a `{ ...ctx }` copy has them) and
 * assignable. A request URL that cannot be parsed is a 400 all the same, at once.
 */
export class RequestContext extends EndingContext implements SseContext {
  readonly req: SseRequest;
  readonly lastEventId: string | undefined;
  // Own accessors, defined in the constructor (shared functions, so no closure per request).
  declare url: URL;
  declare request: Request;
  #request: Request | undefined;
  /** `req.url` as it was when the request came: middleware may rewrite it later. */
  readonly #path: string;
  #url: URL | undefined;
  readonly #maxBodyBytes: number;
  #body: Promise<Uint8Array> | undefined;

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
    request: {
      enumerable: true,
      configurable: true,
      get(this: RequestContext): Request {
        return (this.#request ??= fetchRequestOf(this.req, this.url, this.signal));
      },
      set(this: RequestContext, request: Request): void {
        this.#request = request;
      },
    },
  };

  constructor(
    req: SseRequest,
    maxLastEventIdLength: number = defaultMaxLastEventIdLength,
    maxBodyBytes: number = defaultMaxBodyBytes,
  ) {
    super();
    this.req = req;
    this.#maxBodyBytes = maxBodyBytes;
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

  text(): Promise<string> {
    return this.#read().then(bodyText);
  }

  json(): Promise<unknown> {
    return this.#read().then((bytes) => bodyJson(bytes, this.req.headers['content-type']));
  }

  #read(): Promise<Uint8Array> {
    return (this.#body ??= readBody(this.req, this.#maxBodyBytes));
  }
}

/**
 * Reads a node request's body, up to `limit` bytes. Past it (or past it by Content-Length) the
 * rest is still read, and thrown away: a server that closes a connection with unread bytes makes
 * the kernel reset it, and the client would never see the 413. node's `server.requestTimeout`
 * bounds how long that may take.
 */
function readBody(req: SseRequest, limit: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // Read already: by middleware (say, a body parser), or there was none.
    if (req.readableEnded) {
      resolve(new Uint8Array(0));
      return;
    }
    const collector = new BodyCollector(limit);
    const declared = collector.refuses(req.headers['content-length']);
    if (declared !== undefined) {
      req.resume();
      reject(declared);
      return;
    }
    const stop = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onError);
    };
    const onData = (chunk: Uint8Array): void => {
      const tooLarge = collector.push(chunk);
      if (tooLarge === undefined) return;
      stop();
      req.resume();
      reject(tooLarge);
    };
    const onEnd = (): void => {
      stop();
      resolve(collector.bytes());
    };
    const onClose = (): void => {
      stop();
      reject(bodyAborted());
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onClose);
    req.on('error', onError);
  });
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

/**
 * A fetch `Request` with the method, URL and headers of a node request (no body: a stream's request
 * has none to speak of), so one handler can read headers the same way on both doors. HTTP/2's
 * pseudo-headers (`:path` and the like) are not headers, and are left out.
 */
function fetchRequestOf(req: SseRequest, url: URL, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':') || value === undefined) continue;
    for (const item of [value].flat()) headers.append(name, item);
  }
  return new Request(url, { method: req.method ?? 'GET', headers, signal });
}
