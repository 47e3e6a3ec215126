import { constants, createGzip, type Gzip, type ZlibOptions } from 'node:zlib';
import { describe } from './encode.js';

/**
 * gzip for streams whose clients accept it. Each turn's events are flushed through the
 * compressor at once (a sync flush), so nothing is held back waiting for more to compress.
 * Every option trades memory per connection for ratio: zlib holds about
 * `2^(windowBits + 2) + 2^(memLevel + 9)` bytes per stream — ~256 KiB at the defaults.
 */
export interface CompressOptions {
  /** 1 (fastest) to 9 (smallest). Defaults to `6`. */
  level?: number | undefined;
  /** History window, 9 to 15 (512 B to 32 KiB). Defaults to `15`. */
  windowBits?: number | undefined;
  /** Memory for the compressor's state, 1 to 9. Defaults to `8`. */
  memLevel?: number | undefined;
}

const ranges: Record<keyof CompressOptions, [number, number]> = {
  level: [1, 9],
  windowBits: [9, 15],
  memLevel: [1, 9],
};

/** Checks `options.compress` once, at setup; `undefined` means no compression. */
export function checkCompress(caller: string, value: unknown): ZlibOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${caller}: options.compress must be true, false or { level, windowBits, memLevel } (got ${describe(value)})`,
    );
  }
  const chosen: ZlibOptions = {};
  for (const [name, setting] of Object.entries(value)) {
    const range = ranges[name as keyof CompressOptions] as [number, number] | undefined;
    if (range === undefined) {
      throw new TypeError(
        `${caller}: unknown option options.compress.${name}; the options are level, windowBits, memLevel`,
      );
    }
    if (setting === undefined) continue;
    const [min, max] = range;
    if (!Number.isInteger(setting) || (setting as number) < min || (setting as number) > max) {
      throw new TypeError(
        `${caller}: options.compress.${name} must be an integer from ${min} to ${max} (got ${describe(setting)})`,
      );
    }
    chosen[name as keyof CompressOptions] = setting as number;
  }
  return chosen;
}

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
export function createFlushingGzip(options: ZlibOptions): Gzip {
  return createGzip({ ...options, flush: constants.Z_SYNC_FLUSH });
}
