import type { HttpHeaders } from '../types.js';
import { checkHeaders } from '../wire/httpField.js';
import type { EndableContext } from './config.js';
import { connectionHeaders } from './headers.js';

/**
 * What both doors' contexts share: a `signal` that aborts when the engine ends the stream. The
 * `AbortController` behind it (~0.3 KB) is made only when a handler first reads `signal` — most
 * never do — yet `signal` behaves as a plain field: own, enumerable (a `{ ...ctx }` copy has it)
 * and assignable (say, `ctx.signal = AbortSignal.any([ctx.signal, mine])`).
 */
export abstract class EndingContext implements EndableContext {
  declare signal: AbortSignal;
  #controller: AbortController | undefined;
  /** A signal a handler assigned in place of the context's own. */
  #assigned: AbortSignal | undefined;
  /** Set once the stream is over, with the reason the signal aborts with. */
  #ended: { reason: unknown } | undefined;
  /** Headers the handler set for this stream's head. */
  #headers: Record<string, string | number | readonly string[]> | undefined;
  /** Set once the head is out (or the request answered): no header can be set after. */
  #sent = false;

  // One shared accessor for every context: no closure per request.
  static readonly #signalField: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: EndingContext): AbortSignal {
      if (this.#assigned !== undefined) return this.#assigned;
      if (this.#controller === undefined) {
        this.#controller = new AbortController();
        if (this.#ended !== undefined) this.#controller.abort(this.#ended.reason);
      }
      return this.#controller.signal;
    },
    set(this: EndingContext, signal: AbortSignal): void {
      this.#assigned = signal;
    },
  };

  constructor() {
    Object.defineProperty(this, 'signal', EndingContext.#signalField);
  }

  /**
   * Sets a header of this stream's head (a `Location`, an id the client needs), over the
   * listener's own; it does not go out with a refusal. Call it before returning the Observable.
   * @throws {TypeError} for a name or value HTTP cannot carry, for `Content-Type` or a connection
   * header, and once the head is out.
   */
  setHeader(name: string, value: string | number | readonly string[]): void {
    if (this.#sent) {
      throw new TypeError(
        `rx-sse: ctx.setHeader(${JSON.stringify(name)}): the head is out already`,
      );
    }
    const key = name.toLowerCase();
    if (key === 'content-type' || connectionHeaders.has(key)) {
      throw new TypeError(
        `rx-sse: ctx.setHeader(${JSON.stringify(name)}): ${key === 'content-type' ? 'a stream is text/event-stream' : "connection headers are the server's to manage"}`,
      );
    }
    checkHeaders('rx-sse', (header) => `ctx.setHeader(${JSON.stringify(header)})`, {
      [name]: value,
    });
    (this.#headers ??= {})[name] = value;
  }

  responseHeaders(): HttpHeaders | undefined {
    this.#sent = true;
    return this.#headers;
  }

  /** The stream is over: the signal aborts (now, or as it is first read). Idempotent. */
  end(reason?: unknown): void {
    if (this.#ended !== undefined) return;
    this.#ended = { reason };
    this.#controller?.abort(reason);
  }

  /** Whether `error` is what the end of the stream caused in code listening on the signal. */
  isEndOf(error: unknown): boolean {
    return (
      this.#ended !== undefined &&
      ((this.#controller !== undefined && error === this.#controller.signal.reason) ||
        (error as { name?: unknown } | null)?.name === 'AbortError')
    );
  }
}
