import { EndingContext } from '../engine/endingContext.js';
import { lastEventIdOf } from '../engine/lastEventId.js';

/**
 * The context of a request on the fetch door: an `SseContext` for `listener.fetch` (with `req`
 * undefined), a `ResponseContext` for `toResponse` (where the request is optional). As on the
 * node door, `url` and `signal` are made when first read, yet behave as plain fields; the signal
 * aborts when the engine ends the stream, which it does when the request's own signal aborts.
 */
export class FetchContext extends EndingContext {
  readonly req = undefined;
  readonly request: Request | undefined;
  readonly lastEventId: string | undefined;
  declare url: URL | undefined;
  #url: URL | undefined;

  static readonly #urlField: PropertyDescriptor = {
    enumerable: true,
    configurable: true,
    get(this: FetchContext): URL | undefined {
      const { request } = this;
      if (this.#url === undefined && request !== undefined) this.#url = new URL(request.url);
      return this.#url;
    },
    set(this: FetchContext, url: URL | undefined): void {
      this.#url = url;
    },
  };

  constructor(request: Request | undefined, maxLastEventIdLength: number) {
    super();
    this.request = request;
    Object.defineProperty(this, 'url', FetchContext.#urlField);
    const header = request?.headers.get('last-event-id');
    // The query is only looked at without a header, and only parsed when there is one.
    const query = (header === null || header === '') && request?.url.includes('?') === true;
    this.lastEventId = lastEventIdOf(header, query ? this.url : undefined, maxLastEventIdLength);
  }
}
