import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import { connectionHeaders, type SseResponse } from './http.js';
import { HttpError } from './errors.js';

/** What a refused request is answered with, whatever the server: node:http or a web `Response`. */
export interface Refusal {
  status: number;
  /** The text of the body; `undefined` for the statuses that never have one (204, 205, 304). */
  body: string | undefined;
  /** The error's own headers (an {@link HttpError}'s), to go over the listener's. */
  headers: Readonly<Record<string, string | number | readonly string[]>>;
}

/** The head of a refusal that has a body. */
export const refusalHead = Object.freeze({
  'Content-Type': 'text/plain; charset=utf-8',
  'Cache-Control': 'no-store',
});

/**
 * Only an {@link HttpError} chooses the status, headers and body; anything else is a plain 500
 * that says nothing of what went wrong.
 */
export function refusalOf(error: unknown): Refusal {
  if (!(error instanceof HttpError)) {
    return { status: 500, body: STATUS_CODES[500] ?? 'Internal Server Error', headers: {} };
  }
  const { status } = error;
  const empty = status === 204 || status === 205 || status === 304;
  return { status, body: empty ? undefined : error.message, headers: error.headers };
}

/**
 * Answers a request with an HTTP error instead of a stream (see {@link refusalOf}). `extra` (the
 * listener's own headers, e.g. CORS) go out too; the error's headers win over them.
 */
export function refuse(res: SseResponse, error: unknown, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    // Too late for a status: someone else began the response. Cut it so the client sees a failure.
    res.destroy();
    return;
  }
  const { status, body, headers } = refusalOf(error);
  // HTTP/2 forbids connection-specific headers (e.g. the `Connection: close` of a shutdown's 503).
  const http2 = 'stream' in res;
  const set = (name: string, value: string | number | readonly string[]): void => {
    if (!http2 || !connectionHeaders.has(name.toLowerCase())) res.setHeader(name, value);
  };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) set(name, value);
  for (const [name, value] of Object.entries(headers)) set(name, value);
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { ...refusalHead, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
