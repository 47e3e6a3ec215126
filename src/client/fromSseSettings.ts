import { checkFunction, checkInteger, checkKeys, checkScheduler, maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import type { FromSseOptions, SseReconnectContext } from './fromSseOptions.js';
import { headerValueProblem } from './headerValue.js';
import { sseRequest, type SseRequest, type SseRequestInit } from './sseRequest.js';

/** What `fromSse` was asked for, checked, with every default filled in. */
export interface FromSseSettings<T> {
  /** The first request: its URL, method, the caller's headers and body. */
  first: SseRequest;
  /** `options.headers`, checked: what every request's headers go over. */
  headers: Headers;
  decode: ((data: string) => T) | undefined;
  lastEventId: string;
  retry: number;
  backoff: ((attempt: number, retry: number) => number) | undefined;
  maxReconnects: number;
  maxEventSize: number;
  readTimeout: number | false;
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  validate: ((response: Response) => void | Promise<void>) | undefined;
  reconnect: ((context: SseReconnectContext) => SseRequestInit | undefined) | undefined;
}

const optionNames: ReadonlySet<string> = new Set([
  'method',
  'headers',
  'body',
  'json',
  'fetch',
  'validate',
  'reconnect',
  'decode',
  'lastEventId',
  'retry',
  'backoff',
  'maxReconnects',
  'maxEventSize',
  'readTimeout',
] satisfies (keyof FromSseOptions)[]);

/** Looked up at each request, so that a `fetch` replaced later (a test's stub) is the one used. */
const globalFetch = (url: string, init: RequestInit): Promise<Response> => fetch(url, init);

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
    decode,
    retry = 3000,
    backoff,
    maxReconnects = Infinity,
    maxEventSize = 16 * 1024 * 1024,
    readTimeout = false,
    validate,
    reconnect,
  } = options;
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`fromSse: url must be a string or a URL (got ${describe(url)})`);
  }
  const first = sseRequest(
    (part) => (part === 'url' ? 'url' : `options.${part}`),
    { ...options, url },
    { url: new URL(url), headers: new Headers() }, // a bad URL throws a TypeError naming it
  );
  checkFunction('fromSse', 'options.fetch', options.fetch);
  checkFunction('fromSse', 'options.validate', validate);
  checkFunction('fromSse', 'options.reconnect', reconnect);
  checkFunction('fromSse', 'options.decode', decode);
  checkFunction('fromSse', 'options.backoff', backoff);
  checkInteger('fromSse', 'options.retry', retry, 0, maxTimerDelay);
  checkInteger('fromSse', 'options.maxReconnects', maxReconnects, 0);
  checkInteger('fromSse', 'options.maxEventSize', maxEventSize, 1);
  if (readTimeout !== false) {
    checkInteger('fromSse', 'options.readTimeout (false, or ms)', readTimeout, 1, maxTimerDelay);
  }
  checkScheduler('fromSse', 'scheduler', scheduler);
  const lastEventId: unknown = options.lastEventId ?? '';
  const problem =
    typeof lastEventId === 'string' ? headerValueProblem(lastEventId) : 'it is not a string';
  if (problem !== undefined) {
    throw new TypeError(
      `fromSse: options.lastEventId must be a string that goes out as a header value unchanged (RFC 9110 §5.5), but ${problem} (got ${describe(lastEventId)})`,
    );
  }
  return {
    first,
    headers: new Headers(options.headers),
    decode,
    lastEventId: lastEventId as string,
    retry,
    backoff,
    maxReconnects,
    maxEventSize,
    readTimeout,
    fetch: options.fetch ?? globalFetch,
    validate,
    reconnect,
  };
}
