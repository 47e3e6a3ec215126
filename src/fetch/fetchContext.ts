import type { EndableContext } from '../engine/config.js';
import { lastEventIdOf } from '../engine/lastEventId.js';

/**
 * The context of a request on the fetch door: an `SseContext` for `listener.fetch` (with `req`
 * undefined), a `ResponseContext` for `toResponse` (where the request is optional). Its signal
 * aborts when the engine ends the stream, which it does when the request's own signal aborts.
 */
export class FetchContext implements EndableContext {
  readonly req = undefined;
  readonly request: Request | undefined;
  readonly url: URL | undefined;
  readonly lastEventId: string | undefined;
  readonly #controller = new AbortController();
  signal: AbortSignal = this.#controller.signal;

  constructor(request: Request | undefined, maxLastEventIdLength: number) {
    this.request = request;
    this.url = request === undefined ? undefined : new URL(request.url);
    this.lastEventId = lastEventIdOf(
      request?.headers.get('last-event-id'),
      this.url,
      maxLastEventIdLength,
    );
  }

  end(): void {
    this.#controller.abort();
  }

  isEndOf(error: unknown): boolean {
    const own = this.#controller.signal;
    return (
      own.aborted &&
      (error === own.reason || (error as { name?: unknown } | null)?.name === 'AbortError')
    );
  }
}
