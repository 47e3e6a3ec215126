import { constants, createGzip, type Gzip } from 'node:zlib';
import type { CompressOptions } from '../options.js';

/**
 * True when an `Accept-Encoding` header accepts gzip: `gzip` or `x-gzip` (the best quality of the
 * two) above zero, or, when neither is named, `*` above zero.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  let star = false;
  /** The best quality given to gzip under either of its names; undefined when not named. */
  let gzip: number | undefined;
  for (const item of [header].flat().join(',').split(',')) {
    const [coding = '', ...params] = item.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2)) || 0;
    if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip ?? 0, quality);
    else if (coding === '*') star = quality > 0;
  }
  return gzip === undefined ? star : gzip > 0;
}

/** A gzip stream that flushes what it is given at once, with the chosen memory settings. */
export function createFlushingGzip(options: CompressOptions): Gzip {
  return createGzip({ ...options, flush: constants.Z_SYNC_FLUSH });
}
