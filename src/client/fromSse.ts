import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { checkFunction, checkInteger, checkKeys, checkScheduler } from '../check.js';
import { describe } from '../encode.js';
import { createParser, type SseParser } from './parse.js';

/** One message received, as EventSource would dispatch it. */
export interface SseMessage<T = string> {
  /** The event type (`message` unless the server named one). */
  event: string;
  /** The data: text, or what `decode` made of it. */
  data: T;
  /** This event's own id, if it carried one. */
  id: string | undefined;
  /** The last event id in force: sent back as Last-Event-ID when reconnecting. */
  lastEventId: string;
}

/** Options of {@link fromSse}. */
export interface FromSseOptions<T = string> {
  /**
   * Request headers, such as `Authorization`: a record, a `Headers` or pairs. `Accept`,
   * `Cache-Control` and `Last-Event-ID` are the client's own and replace any given.
   */
  headers?: ConstructorParameters<typeof Headers>[0] | undefined;
  /** Turns each message's data into a value, such as `JSON.parse`. Defaults to none (text). */
  decode?: ((data: string) => T) | undefined;
  /** The Last-Event-ID to start from. Defaults to none. */
  lastEventId?: string | undefined;
  /** The wait before reconnecting, in ms, until the server sends `retry:`. Defaults to `3000`. */
  retry?: number | undefined;
  /**
   * The wait before reconnect number `attempt` (1 for the first after a failure), given the
   * server's `retry`. Defaults to `retry` itself, as EventSource does; a success resets `attempt`.
   */
  backoff?: ((attempt: number, retry: number) => number) | undefined;
  /**
   * How many times in a row it reconnects with no event arriving in between (network failures,
   * streams that end at once) before it errors with the last failure; `0` never reconnects.
   * Defaults to `Infinity`, as EventSource.
   */
  maxReconnects?: number | undefined;
}

/** Why a {@link fromSse} stream stopped: a response that EventSource would fail on. */
export class SseResponseError extends Error {
  override name = 'SseResponseError';
  readonly code = 'ERR_SSE_RESPONSE';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The longest wait a timer takes (2^31 - 1 ms); longer ones would fire at once. */
const maxDelay = 2_147_483_647;

/** A header value holding the UTF-8 bytes of `text`, one character per byte. */
function utf8Bytes(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte);
  return out;
}

const optionNames: ReadonlySet<string> = new Set([
  'headers',
  'decode',
  'lastEventId',
  'retry',
  'backoff',
  'maxReconnects',
] satisfies (keyof FromSseOptions)[]);

/**
 * An Observable of the events at `url`, read with `fetch` as EventSource would read them, for
 * Node and anything else with `fetch`.
 *
 * Cold: each subscription opens its own request, and unsubscribing aborts it. When the stream
 * ends or the network fails, it reconnects after `retry` ms (the server's `retry:` if it sent
 * one), sending the last event id as Last-Event-ID, so a server with history replays what was
 * missed. A 204, any other status than 200, or a content type other than `text/event-stream`
 * stops it with an {@link SseResponseError}, as it stops EventSource; `maxReconnects` failures in
 * a row stop it with the last network error.
 *
 * ## Example
 * ```ts
 * import { take } from 'rxjs';
 * import { fromSse } from 'rx-sse/client';
 *
 * fromSse('http://localhost:8080/counter', { decode: JSON.parse })
 *   .pipe(take(2))
 *   .subscribe((message) => console.log(message.event, message.data));
 * // Logs:
 * // counter 0
 * // counter 1
 * ```
 */
export function fromSse<T = string>(
  url: string | URL,
  options: FromSseOptions<T> = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<SseMessage<T>> {
  checkKeys('fromSse', options, optionNames);
  const { headers, decode, retry = 3000, backoff, maxReconnects = Infinity } = options;
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`fromSse: url must be a string or a URL (got ${describe(url)})`);
  }
  const target = new URL(url); // throws a TypeError naming the bad URL
  if (target.username !== '' || target.password !== '') {
    throw new TypeError('fromSse: url must not carry credentials; send them in options.headers');
  }
  checkFunction('fromSse', 'options.decode', decode);
  checkFunction('fromSse', 'options.backoff', backoff);
  checkInteger('fromSse', 'options.retry', retry, 0);
  if (retry > maxDelay) {
    throw new TypeError(
      `fromSse: options.retry must be at most ${String(maxDelay)} ms (got ${String(retry)})`,
    );
  }
  checkInteger('fromSse', 'options.maxReconnects', maxReconnects, 0);
  checkScheduler('fromSse', 'scheduler', scheduler);
  // Built now, so a bad header name or value throws here rather than on every reconnection.
  const base = new Headers(headers);
  const startId = options.lastEventId ?? '';
  if (typeof startId !== 'string' || /[\r\n\0]/.test(startId)) {
    throw new TypeError(
      `fromSse: options.lastEventId must be a string without CR, LF or NUL (got ${describe(startId)})`,
    );
  }

  return new Observable<SseMessage<T>>((subscriber) => {
    let lastEventId = startId;
    let delay = retry;
    let failures = 0;
    let controller: AbortController | undefined;
    let wait: Subscription | undefined;

    const reconnect = (error: unknown): void => {
      failures++;
      if (failures > maxReconnects) {
        subscriber.error(
          new Error(
            `fromSse: ${target.href}: gave up after ${String(maxReconnects)} reconnections`,
            {
              cause: error,
            },
          ),
        );
        return;
      }
      let ms: unknown = delay;
      if (backoff !== undefined) {
        try {
          ms = backoff(failures, delay);
        } catch (thrown) {
          subscriber.error(new Error('fromSse: options.backoff threw', { cause: thrown }));
          return;
        }
      }
      if (typeof ms !== 'number' || !(ms >= 0) || ms > maxDelay) {
        subscriber.error(
          new TypeError(
            `fromSse: options.backoff must return a number of ms from 0 to ${String(maxDelay)} (got ${describe(ms)})`,
          ),
        );
        return;
      }
      wait = scheduler.schedule(connect, ms);
    };

    const connect = (): void => {
      const request = new AbortController();
      controller = request;
      const sent = new Headers(base);
      sent.set('Accept', 'text/event-stream');
      sent.set('Cache-Control', 'no-cache');
      // Headers are bytes: an id beyond Latin-1 goes as its UTF-8 bytes, as browsers send it.
      if (lastEventId !== '') sent.set('Last-Event-ID', utf8Bytes(lastEventId));
      else sent.delete('Last-Event-ID');
      let parser: SseParser | undefined;
      void (async () => {
        const response = await fetch(target, { headers: sent, signal: request.signal });
        const type = response.headers.get('content-type') ?? '';
        const essence = (type.split(';')[0] ?? '').trim().toLowerCase();
        if (response.status !== 200 || essence !== 'text/event-stream' || response.body === null) {
          await response.body?.cancel().catch(() => undefined);
          const what =
            response.status === 204
              ? 'the server answered 204: there is nothing more to read'
              : response.status !== 200
                ? `the server answered ${String(response.status)}`
                : response.body === null
                  ? 'the response has no body'
                  : `the content type is ${JSON.stringify(type)}, not text/event-stream`;
          subscriber.error(
            new SseResponseError(response.status, `fromSse: ${target.href}: ${what}`),
          );
          return;
        }
        const reading = createParser(
          (event) => {
            if (subscriber.closed) return;
            lastEventId = event.lastEventId;
            failures = 0;
            let data: T;
            try {
              data = (decode === undefined ? event.data : decode(event.data)) as T;
            } catch (error) {
              request.abort();
              subscriber.error(
                new Error(
                  `fromSse: options.decode failed on ${JSON.stringify(event.data.slice(0, 40))}`,
                  { cause: error },
                ),
              );
              return;
            }
            subscriber.next({ event: event.event, data, id: event.id, lastEventId });
          },
          (ms) => (delay = Math.min(ms, maxDelay)),
          lastEventId,
        );
        parser = reading;
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || subscriber.closed || request.signal.aborted) break;
          reading.feed(value);
        }
        if (subscriber.closed || request.signal.aborted) return;
        reading.end();
        lastEventId = reading.lastEventId;
        // Ended by the server: reconnect, as EventSource does (a 204 is how a server says stop).
        reconnect(new Error(`fromSse: ${target.href}: the stream ended`));
      })().catch((error: unknown) => {
        if (subscriber.closed || request.signal.aborted) return;
        // Even an id set by an event that dispatched nothing is sent back.
        if (parser !== undefined) lastEventId = parser.lastEventId;
        reconnect(error);
      });
    };

    connect();
    return () => {
      wait?.unsubscribe();
      controller?.abort();
    };
  });
}
