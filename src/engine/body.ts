import { HttpError } from '../errors.js';

// How a stream's request body is read, the same on both doors: bounded, decoded once, and every
// way it can be wrong an HttpError (so, thrown by a handler before it returns its Observable, a
// real status).

/** Most bytes of a request body read by default: 1 MiB, far above a prompt or a form. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** Collects a body's chunks up to `limit` bytes; past it, a 413. */
export class BodyCollector {
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #size = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** The 413 for a body whose Content-Length says more than the limit, before reading any. */
  refuses(declared: string | null | undefined): HttpError | undefined {
    return declared !== null && declared !== undefined && Number(declared) > this.#limit
      ? tooLarge(this.#limit)
      : undefined;
  }

  /** Takes a chunk; returns the 413 once the body passes the limit (and keeps no more). */
  push(chunk: Uint8Array): HttpError | undefined {
    this.#size += chunk.byteLength;
    if (this.#size > this.#limit) {
      this.#chunks = [];
      return tooLarge(this.#limit);
    }
    this.#chunks.push(chunk);
    return undefined;
  }

  /** The body, whole. */
  bytes(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0] as Uint8Array;
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.byteLength;
    }
    return all;
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body larger than ${limit} bytes`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A body as UTF-8 text. @throws {HttpError} 400 for bytes that are not UTF-8. */
export function bodyText(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch (error) {
    throw new HttpError(400, 'Request body is not UTF-8 text', { cause: error });
  }
}

/**
 * A body as JSON. @throws {HttpError} 415 unless the Content-Type is `application/json` or a
 * `+json` type (RFC 6839), and 400 for a body that does not parse.
 */
export function bodyJson(bytes: Uint8Array, contentType: string | null | undefined): unknown {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^[\w.+-]+\/[\w.+-]+\+json$/.test(type)) {
    throw new HttpError(415, 'Request body must be JSON (Content-Type: application/json)');
  }
  const text = bodyText(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, 'Request body is not valid JSON', { cause: error });
  }
}

/** Thrown into a body read when the client left before it was whole. */
export function bodyAborted(): Error {
  const error = new Error('rx-sse: the client left before its request body was read');
  error.name = 'AbortError';
  return error;
}
