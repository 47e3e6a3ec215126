import { describe } from '../describe.js';
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
