import { STATUS_CODES, type OutgoingHttpHeaders } from 'node:http';
import { connectionHeaders, type SseResponse } from './http.js';
import { HttpError } from './errors.js';

/**
 * Answers a request with an HTTP error instead of a stream. Only an {@link HttpError} chooses the
 * status, headers and body; anything else is a plain 500 that says nothing of what went wrong.
 * `extra` (the listener's own headers, e.g. CORS) go out too; the error's headers win over them.
 */
export function refuse(res: SseResponse, error: unknown, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    // Too late for a status: someone else began the response. Cut it so the client sees a failure.
    res.destroy();
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  const body =
    error instanceof HttpError ? error.message : (STATUS_CODES[500] ?? 'Internal Server Error');
  // HTTP/2 forbids connection-specific headers (e.g. the `Connection: close` of a shutdown's 503).
  const http2 = 'stream' in res;
  const set = (name: string, value: string | number | readonly string[]): void => {
    if (!http2 || !connectionHeaders.has(name.toLowerCase())) res.setHeader(name, value);
  };
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) set(name, value);
  if (error instanceof HttpError) {
    for (const [name, value] of Object.entries(error.headers)) set(name, value);
  }
  // These statuses never have a body.
  if (status === 204 || status === 205 || status === 304) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(body);
}
