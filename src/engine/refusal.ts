import { HttpError } from '../errors.js';
import type { HttpHeaders } from '../types.js';
import { statusText } from './statusText.js';

/** What a refused request is answered with, whatever the server: node:http or a web `Response`. */
export interface Refusal {
  status: number;
  /** The text of the body; `undefined` for the statuses that never have one (204, 205, 304). */
  body: string | undefined;
  /** The error's own headers (an {@link HttpError}'s), to go over the listener's. */
  headers: HttpHeaders;
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
    return { status: 500, body: statusText(500), headers: {} };
  }
  const { status } = error;
  const empty = status === 204 || status === 205 || status === 304;
  return { status, body: empty ? undefined : error.message, headers: error.headers };
}
