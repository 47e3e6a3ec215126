import { describe } from '../describe.js';
import { SseResponseError } from './errors.js';
import { notAStream } from './notAStream.js';

/** A response to read, or why the stream ends at it. */
export type Acceptance =
  | { ok: true; response: Response; body: ReadableStream<Uint8Array> }
  | { ok: false; error: unknown };

/**
 * Whether `fromSse` reads what `fetch` resolved to: `validate` first (what it throws ends the
 * stream as it is: a reason of the caller's, theirs to see), then what EventSource checks
 * ({@link notAStream}), which end it with an {@link SseResponseError}.
 */
export async function acceptResponse(
  response: unknown,
  validate: ((response: Response) => void | Promise<void>) | undefined,
  href: string,
): Promise<Acceptance> {
  if (typeof (response as Partial<Response> | null)?.headers?.get !== 'function') {
    const error = new TypeError(
      `fromSse: options.fetch must resolve to a Response (got ${describe(response)})`,
    );
    return { ok: false, error };
  }
  const accepted = response as Response;
  if (validate !== undefined) {
    try {
      await validate(accepted);
    } catch (error) {
      return { ok: false, error };
    }
    if (accepted.bodyUsed) {
      const message = `fromSse: ${href}: options.validate read the body of a response it accepted`;
      return { ok: false, error: new TypeError(message) };
    }
  }
  const problem = notAStream(accepted);
  if (problem !== undefined || accepted.body === null) {
    const error = new SseResponseError(accepted.status, `fromSse: ${href}: ${problem}`);
    return { ok: false, error };
  }
  return { ok: true, response: accepted, body: accepted.body };
}
