import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { HttpError } from './errors.js';

/** What a handler knows about the request whose stream it makes. */
export interface SseContext {
  /** The request as node:http gave it. */
  req: IncomingMessage;
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
  req: IncomingMessage,
  signal: AbortSignal,
  maxLastEventIdLength: number = defaultMaxLastEventIdLength,
): SseContext {
  const url = requestUrl(req);
  const sent = req.headers['last-event-id'];
  const header = Array.isArray(sent) ? sent[0] : sent;
  const raw = header !== undefined && header !== '' ? header : url.searchParams.get('lastEventId');
  const lastEventId = raw && raw.length <= maxLastEventIdLength ? raw : undefined;
  return { req, url, lastEventId, signal };
}

function requestUrl(req: IncomingMessage): URL {
  const scheme = (req.socket as Partial<TLSSocket> | null)?.encrypted ? 'https' : 'http';
  const path = req.url ?? '/';
  try {
    return new URL(path, `${scheme}://${req.headers.host ?? 'localhost'}`);
  } catch {
    // A Host header that is not a host must not cost the client its stream; the path still counts.
    try {
      return new URL(path, `${scheme}://localhost`);
    } catch (error) {
      throw new HttpError(400, 'Bad request URL', { cause: error });
    }
  }
}
