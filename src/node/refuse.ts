import type { OutgoingHttpHeaders } from 'node:http';
import { connectionHeaders } from '../engine/headers.js';
import { refusalHead, refusalOf } from '../engine/refusal.js';
import type { SseResponse } from '../types.js';

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
