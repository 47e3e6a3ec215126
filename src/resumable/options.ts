import { checkFunction, checkInteger, checkKeys, maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import type { ResumableOptions } from './types.js';

export interface CheckedResumableOptions {
  readonly ttl: number;
  readonly maxStreams: number;
  readonly maxBytesPerStream: number;
  readonly onError: (error: unknown, id: string) => void;
}

const keys: ReadonlySet<string> = new Set([
  'ttl',
  'maxStreams',
  'maxBytesPerStream',
  'onError',
] satisfies (keyof ResumableOptions)[]);

/** Checks `createResumableStreams`'s options and fills in the defaults. */
export function checkResumableOptions(
  caller: string,
  options: ResumableOptions,
): CheckedResumableOptions {
  checkKeys(caller, options, keys);
  const {
    ttl = 600_000,
    maxStreams = 10_000,
    maxBytesPerStream = 1024 * 1024,
    onError = logError,
  } = options;
  // No Infinity: every answer is dropped in the end, and every bound is a number of things.
  checkInteger(caller, 'options.ttl (ms)', ttl, 1, maxTimerDelay);
  checkInteger(caller, 'options.maxStreams', maxStreams, 1, Number.MAX_SAFE_INTEGER);
  checkInteger(caller, 'options.maxBytesPerStream', maxBytesPerStream, 1, Number.MAX_SAFE_INTEGER);
  checkFunction(caller, 'options.onError', onError);
  return { ttl, maxStreams, maxBytesPerStream, onError };
}

function logError(error: unknown, id: string): void {
  console.error(`rx-sse/resumable: answer ${id} failed:`, error);
}

/** Refuses an answer id that is not a string (a string that is no answer's is simply unknown). */
export function checkAnswerId(caller: string, id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new TypeError(`${caller}: id must be an answer's id, a string (got ${describe(id)})`);
  }
}

const sequencePattern = /^(?:0|[1-9]\d{0,15})$/;

/** The `<n>` of an event id this store gave, or `undefined` for any other text. */
export function parseSequence(text: string): number | undefined {
  if (!sequencePattern.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
