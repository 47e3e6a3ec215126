// Where errors go, and what does not count as one.

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

/** True for the rejection of work cancelled through `signal`, e.g. `fetch(url, { signal })`. */
export function isAbortOf(signal: AbortSignal, error: unknown): boolean {
  return (
    signal.aborted &&
    (error === signal.reason || (error as { name?: unknown } | null)?.name === 'AbortError')
  );
}

const departures = new Set([
  'EPIPE',
  'ECONNRESET',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Listens for errors on a response: a departed client is normal, anything else is logged. */
export function ignoreDeparture(error: NodeJS.ErrnoException): void {
  if (!departures.has(error.code ?? '')) logError(error);
}

/** The default `onError`: one line on stderr, nothing to the client. */
export function logError(error: unknown): void {
  console.error('rx-sse:', error);
}
