import type { Admission } from '../engine/admission.js';
import { logError } from '../engine/report.js';
import type { StreamRequest } from '../engine/config.js';
import type { HttpHeaders } from '../types.js';
import { FetchContext } from './fetchContext.js';
import { headerEntries, refusalResponse } from './webHeaders.js';
import { WebSink } from './webSink.js';

/** `listener.fetch`: a fetch runtime's handler. `platform` is what the runtime passes after the request. */
export type FetchDoor = (request: Request, platform?: unknown) => Promise<Response>;

/**
 * The fetch door of a listener: the same CORS, methods, limits and shutdown as the node door, and
 * the same engine, writing to a {@link WebSink}. There is no pipelining to wait for: a fetch
 * runtime hands over one request per call.
 *
 * Made when `listener.fetch` is first read — wiring it into a runtime is the fetch door's setup —
 * so that options it cannot honour are a `TypeError` then, not on a client's request.
 */
export function fetchDoor(admission: Admission): FetchDoor {
  const { settings, stats, refusals } = admission;
  const { cors, heads } = settings;
  if (settings.compress !== undefined) {
    throw new TypeError(
      'sse: listener.fetch cannot serve a listener made with options.compress: a web CompressionStream cannot flush per event; make a listener without compress for the fetch door (and let the platform compress)',
    );
  }
  if (admission.countsAddresses && settings.fetchAddressOf === undefined) {
    throw new TypeError(
      "sse: listener.fetch needs options.fetchAddressOf to count maxConnectionsPerAddress: a fetch Request has no socket address (derive it from the runtime's second argument, e.g. Deno's info.remoteAddr, or from a header your proxy sets)",
    );
  }
  const head = headerEntries(heads.plain);

  return function fetch(request: Request, platform?: unknown): Promise<Response> {
    let allowed: HttpHeaders | null = {};
    let address = '';
    try {
      if (cors !== undefined)
        allowed = cors.headersFor(request.headers.get('origin') ?? undefined, request);
      if (settings.fetchAddressOf !== undefined && admission.countsAddresses) {
        address = settings.fetchAddressOf(request, platform) ?? '';
      }
    } catch (error) {
      // A user's callback that throws costs this request, never the process.
      stats.errors++;
      logError(error);
      stats.refused++;
      return Promise.resolve(refusalResponse(error, heads.extra));
    }
    if (allowed === null) {
      stats.refused++;
      return Promise.resolve(refusalResponse(refusals.foreign, heads.extra));
    }
    if (
      cors !== undefined &&
      request.method === 'OPTIONS' &&
      request.headers.has('access-control-request-method')
    ) {
      return Promise.resolve(
        new Response(null, { status: 204, headers: headerEntries(allowed, cors.preflight) }),
      );
    }
    if (!settings.methods.has(request.method)) {
      stats.refused++;
      return Promise.resolve(refusalResponse(refusals.notAllowed, heads.extra, allowed));
    }
    const withCors = cors === undefined ? head : [...head, ...headerEntries(allowed)];
    const sink = new WebSink(
      request,
      withCors,
      [heads.extra, allowed],
      settings.limits.maxBufferedBytes,
    );
    admission.admit(
      sink,
      new FetchRequest(request, settings.maxLastEventIdLength, settings.maxBodyBytes),
      address,
    );
    return sink.response;
  };
}

/** A fetch request as the engine sees it. */
export class FetchRequest<C> implements StreamRequest<C> {
  readonly #request: Request | undefined;
  readonly #maxLastEventIdLength: number;
  readonly #maxBodyBytes: number | undefined;

  constructor(request: Request | undefined, maxLastEventIdLength: number, maxBodyBytes?: number) {
    this.#request = request;
    this.#maxLastEventIdLength = maxLastEventIdLength;
    this.#maxBodyBytes = maxBodyBytes;
  }

  get method(): string {
    return this.#request?.method ?? 'GET';
  }

  name(): string {
    const request = this.#request;
    return request === undefined ? 'GET' : `${request.method} ${new URL(request.url).pathname}`;
  }

  context(): C & FetchContext {
    return new FetchContext(this.#request, this.#maxLastEventIdLength, this.#maxBodyBytes) as C &
      FetchContext;
  }
}
