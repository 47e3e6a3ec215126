/**
 * Why `fetch` refused a request before sending it, or `undefined` for a failure of the network
 * (which EventSource retries). undici rejects with `TypeError: fetch failed` either way; the
 * `cause` tells them apart: an invalid argument or an unsupported feature (codes below), or the
 * Fetch standard's own refusals, `bad port` and `unknown scheme`, which carry no code.
 */
export function refusal(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (!(cause instanceof Error)) return undefined;
  const code = (cause as { code?: unknown }).code;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') return cause.message;
  if (code === undefined && /^(bad port|unknown scheme)$/.test(cause.message)) {
    return cause.message;
  }
  return undefined;
}
