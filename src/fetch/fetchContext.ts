import { BodyCollector, bodyJson, bodyText, defaultMaxBodyBytes } from '../engine/body.js';
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
  readonly #maxBodyBytes: number;
  #body: Promise<Uint8Array> | undefined;

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

  constructor(
    request: Request | undefined,
    maxLastEventIdLength: number,
    maxBodyBytes: number = defaultMaxBodyBytes,
  ) {
    super();
    this.request = request;
    this.#maxBodyBytes = maxBodyBytes;
    Object.defineProperty(this, 'url', FetchContext.#urlField);
    const header = request?.headers.get('last-event-id');
    // The query is only looked at without a header, and only parsed when there is one.
    const query = (header === null || header === '') && request?.url.includes('?') === true;
    this.lastEventId = lastEventIdOf(header, query ? this.url : undefined, maxLastEventIdLength);
  }

  text(): Promise<string> {
    return this.#read().then(bodyText);
  }

  json(): Promise<unknown> {
    return this.#read().then((bytes) => bodyJson(bytes, this.request?.headers.get('content-type')));
  }

  #read(): Promise<Uint8Array> {
    return (this.#body ??= readBody(this.request, this.#maxBodyBytes));
  }
}

/** Reads a fetch request's body, up to `limit` bytes; past it, a 413 and the rest is cancelled. */
async function readBody(request: Request | undefined, limit: number): Promise<Uint8Array> {
  const collector = new BodyCollector(limit);
  const declared = collector.refuses(request?.headers.get('content-length'));
  if (declared !== undefined) throw declared;
  const body = request?.body;
  if (body === null || body === undefined) return new Uint8Array(0);
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return collector.bytes();
      const tooLarge = collector.push(value);
      if (tooLarge !== undefined) throw tooLarge;
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    throw error;
  }
}
