// What comes before the next attempt of fromSse: the request it sends, and the wait before it.
// Each throws the error the stream ends with, so that fromSse has one place to catch it.
import { maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import { SseNotResumableError, SseRequestError } from './errors.js';
import { headerValueProblem } from './headerValue.js';
import type { SseReconnectContext } from './fromSseOptions.js';
import { sseRequest, type SseRequest, type SseRequestInit } from './sseRequest.js';

const fields: ReadonlySet<string> = new Set([
  'url',
  'method',
  'headers',
  'body',
  'json',
] satisfies (keyof SseRequestInit)[]);

/**
 * The request `options.reconnect` asks for, checked as the first one was, or `undefined` when it
 * returned none (or is not given): then `fromSse` does what it does by default.
 * @throws {Error} when `reconnect` throws (the `cause`), or a `TypeError` naming what is wrong in
 *   what it returned.
 */
export function reconnectRequest(
  reconnect: ((context: SseReconnectContext) => SseRequestInit | undefined) | undefined,
  context: SseReconnectContext,
  base: { url: URL; headers: Headers },
): SseRequest | undefined {
  if (reconnect === undefined) return undefined;
  let init: unknown;
  try {
    init = reconnect(context);
  } catch (thrown) {
    throw new Error('fromSse: options.reconnect threw', { cause: thrown });
  }
  if (init === undefined) return undefined;
  if (typeof init !== 'object' || init === null || Array.isArray(init)) {
    throw new TypeError(
      `fromSse: options.reconnect must return a request ({ url, method, headers, body, json }) or undefined (got ${describe(init)})`,
    );
  }
  for (const key of Object.keys(init)) {
    if (!fields.has(key)) {
      throw new TypeError(
        `fromSse: options.reconnect returned an unknown field ${JSON.stringify(key)}; the fields are ${[...fields].join(', ')}`,
      );
    }
  }
  return sseRequest((part) => `options.reconnect's ${part}`, init, base);
}

/**
 * The `Location` of `response` resolved against its URL (after redirects), else against `url`, as
 * a URL of its own; `undefined` without one, or when it is no URL.
 */
export function locationOf(response: Response | undefined, url: URL): URL | undefined {
  const location = response?.headers.get('location');
  if (location === null || location === undefined) return undefined;
  try {
    return new URL(location, response?.url || url);
  } catch {
    return undefined;
  }
}

/**
 * The wait, in ms, before reconnection number `attempt` since an event arrived: `backoff`'s, or
 * `retry` (the server's, if it sent one).
 * @throws {Error} when `backoff` throws (the `cause`), or a `TypeError` when it returns no wait.
 */
export function waitBefore(
  backoff: ((attempt: number, retry: number) => number) | undefined,
  attempt: number,
  retry: number,
): number {
  if (backoff === undefined) return retry;
  let ms: unknown;
  try {
    ms = backoff(attempt, retry);
  } catch (thrown) {
    throw new Error('fromSse: options.backoff threw', { cause: thrown });
  }
  if (typeof ms !== 'number' || !(ms >= 0) || ms > maxTimerDelay) {
    throw new TypeError(
      `fromSse: options.backoff must return a number of ms from 0 to ${String(maxTimerDelay)} (got ${describe(ms)})`,
    );
  }
  return ms;
}

/** Why a request that is not idempotent, `first`, which dropped on `cause`, is not sent again. */
export function notResumable(first: { method: string; url: URL }, cause: unknown): Error {
  const { method, url } = first;
  return new SseNotResumableError(
    method,
    `fromSse: ${url.href}: the ${method} stream dropped, and a ${method} is not sent again by itself (it is not idempotent): give options.reconnect the request that resumes it`,
    { cause },
  );
}

/**
 * The error to end with when the last event id in force cannot go out on the next request, as a
 * header value unchanged (RFC 9110 §5.5): then no request ever will, so say so now rather than
 * retry in vain.
 */
export function unsendableId(href: string, lastEventId: string, cause: unknown): Error | undefined {
  const problem = headerValueProblem(lastEventId);
  if (problem === undefined) return undefined;
  return new SseRequestError(
    `fromSse: ${href}: the server's last event id ${JSON.stringify(lastEventId)} cannot be sent back as Last-Event-ID: ${problem}`,
    { cause },
  );
}
