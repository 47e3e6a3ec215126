import { STATUS_CODES, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/**
 * Answers a request with an HTTP error instead of a stream. Only an {@link HttpError} chooses the
 * status, headers and body; anything else is a plain 500 that says nothing of what went wrong.
 * `extra` (the listener's own headers, e.g. CORS) go out too; the error's headers win over them.
 */
export function refuse(res: ServerResponse, error: unknown, extra: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) {
    // Too late for a status: someone else began the response. Cut it so the client sees a failure.
    res.destroy();
    return;
  }
  const status = error instanceof HttpError ? error.status : 500;
  const body =
    error instanceof HttpError ? error.message : (STATUS_CODES[500] ?? 'Internal Server Error');
  for (const [name, value] of Object.entries(extra))
    if (value !== undefined) res.setHeader(name, value);
  if (error instanceof HttpError) {
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
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
