import { checkFunction, checkInteger, checkKeys, checkScheduler, maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import type { FromSseOptions } from './fromSse.js';
import { headerValueProblem } from './headerValue.js';

/** The longest wait a timer takes (2^31 - 1 ms); longer ones would fire at once. */

/** What `fromSse` was asked for, checked, with every default filled in. */
export interface FromSseSettings<T> {
  target: URL;
  /** The caller's headers, built once (the client's own are set on each request). */
  base: Headers;
  decode: ((data: string) => T) | undefined;
  lastEventId: string;
  retry: number;
  backoff: ((attempt: number, retry: number) => number) | undefined;
  maxReconnects: number;
  maxEventSize: number;
  readTimeout: number | false;
}

const optionNames: ReadonlySet<string> = new Set([
  'headers',
  'decode',
  'lastEventId',
  'retry',
  'backoff',
  'maxReconnects',
  'maxEventSize',
  'readTimeout',
] satisfies (keyof FromSseOptions)[]);

/**
 * Checks the arguments of `fromSse` at the call, so that every mistake is a `TypeError` naming the
 * argument or option, thrown before any request, rather than a failure on every reconnection.
 */
export function fromSseSettings<T>(
  url: unknown,
  options: FromSseOptions<T>,
  scheduler: unknown,
): FromSseSettings<T> {
  checkKeys('fromSse', options, optionNames);
  const {
    headers,
    decode,
    retry = 3000,
    backoff,
    maxReconnects = Infinity,
    maxEventSize = 16 * 1024 * 1024,
    readTimeout = false,
  } = options;
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`fromSse: url must be a string or a URL (got ${describe(url)})`);
  }
  const target = new URL(url); // throws a TypeError naming the bad URL
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TypeError(`fromSse: url must be http: or https: (got ${target.protocol})`);
  }
  if (target.username !== '' || target.password !== '') {
    throw new TypeError('fromSse: url must not carry credentials; send them in options.headers');
  }
  checkFunction('fromSse', 'options.decode', decode);
  checkFunction('fromSse', 'options.backoff', backoff);
  checkInteger('fromSse', 'options.retry', retry, 0, maxTimerDelay);
  checkInteger('fromSse', 'options.maxReconnects', maxReconnects, 0);
  checkInteger('fromSse', 'options.maxEventSize', maxEventSize, 1);
  if (readTimeout !== false) {
    checkInteger('fromSse', 'options.readTimeout (false, or ms)', readTimeout, 1, maxTimerDelay);
  }
  checkScheduler('fromSse', 'scheduler', scheduler);
  // Headers refuses CR, LF and NUL, and strips the whitespace at either end, as Fetch says; undici
  // refuses the other control characters only when sending, on every attempt.
  const base = new Headers(headers);
  for (const [name, value] of base) {
    const problem = headerValueProblem(value);
    if (problem !== undefined) {
      throw new TypeError(
        `fromSse: options.headers: the value of ${JSON.stringify(name)} cannot be sent: ${problem}`,
      );
    }
  }
  const lastEventId: unknown = options.lastEventId ?? '';
  const problem =
    typeof lastEventId === 'string' ? headerValueProblem(lastEventId) : 'it is not a string';
  if (problem !== undefined) {
    throw new TypeError(
      `fromSse: options.lastEventId must be a string that goes out as a header value unchanged (RFC 9110 §5.5), but ${problem} (got ${describe(lastEventId)})`,
    );
  }
  return {
    target,
    base,
    decode,
    lastEventId: lastEventId as string,
    retry,
    backoff,
    maxReconnects,
    maxEventSize,
    readTimeout,
  };
}
