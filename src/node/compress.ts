import type { Gzip } from 'node:zlib';
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

/**
 * A gzip stream that flushes what it is given at once, with the chosen memory settings. node:zlib
 * is loaded when the first compressed stream opens, not imported: `rx-sse` is then free of node
 * modules at load time, so the fetch door runs on runtimes without them (workerd without
 * `nodejs_compat`). `process.getBuiltinModule` is in every node rx-sse supports (≥ 20.16).
 */
export function createFlushingGzip(options: CompressOptions): Gzip {
  const zlib = process.getBuiltinModule('node:zlib');
  return zlib.createGzip({ ...options, flush: zlib.constants.Z_SYNC_FLUSH });
}
