// Where errors go, and what does not count as one.
import type { EncodeOptions } from '../options.js';
import type { SseEvent } from '../types.js';
import { encode } from '../wire/encode.js';

/** Calls a user's hook; one that throws is logged and changes nothing else. */
export function callHook<A extends unknown[]>(
  hook: ((...args: A) => void) | undefined,
  ...args: A
): void {
  if (hook === undefined) return;
  try {
    hook(...args);
  } catch (error) {
    logError(new Error('rx-sse: a connect or disconnect hook threw', { cause: error }));
  }
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/** The default `onError`: one line on stderr, nothing to the client. */
export function logError(error: unknown): void {
  console.error('rx-sse:', error);
}

/**
 * Hands an error that ends a stream to the user's `onError` and returns the last event it asks
 * for, if any. A hook that throws is logged; an async one gets no last event (the stream ends
 * now), but its rejection is still logged.
 */
export function askOnError<C>(
  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type
  onError: (error: unknown, ctx: C) => SseEvent | undefined | void,
  error: unknown,
  ctx: C,
): SseEvent | undefined {
  try {
    const last: unknown = onError(error, ctx);
    if (!isPromiseLike(last)) return (last as SseEvent | undefined) ?? undefined;
    last.then(undefined, (failure: unknown) => {
      logError(new Error('rx-sse: options.onError rejected', { cause: failure }));
    });
  } catch (failure) {
    logError(new Error('rx-sse: options.onError threw', { cause: failure }));
  }
  return undefined;
}

/** The frame of a stream's last event (from `onError` or a shutdown); one that cannot be encoded is logged and left out. */
export function lastFrame(last: SseEvent | undefined, options: EncodeOptions): string | undefined {
  if (last === undefined) return undefined;
  try {
    return encode(last, options);
  } catch (error) {
    logError(
      new Error('rx-sse: the last event (from onError or close()) cannot be sent', {
        cause: error,
      }),
    );
    return undefined;
  }
}
