import type { EndableContext } from './config.js';

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
