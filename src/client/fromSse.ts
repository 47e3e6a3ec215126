import { asyncScheduler, Observable, Subscription, type SchedulerLike } from 'rxjs';
import { SseReadTimeoutError, SseRequestError, SseTooLargeError } from './errors.js';
import type { FromSseOptions, SseMessage } from './fromSseOptions.js';
import { acceptResponse } from './acceptResponse.js';
import { createParser, type SseParser } from './parse.js';
import {
  locationOf,
  notResumable,
  reconnectRequest,
  unsendableId,
  waitBefore,
} from './nextAttempt.js';
import { readTimer } from './readTimer.js';
import { refusal } from './refusal.js';
import { maxTimerDelay as maxDelay } from '../check.js';
import { fromSseSettings } from './fromSseSettings.js';
import { isIdempotent, sentHeaders, type SseRequest } from './sseRequest.js';

export type { FromSseOptions, SseMessage, SseReconnectContext } from './fromSseOptions.js';

/**
 * An Observable of the events at `url`, read with `fetch` as EventSource would read them, for
 * Node and anything else with `fetch` — or of a stream a POST starts, such as an LLM's answer.
 *
 * Cold: each subscription opens its own request. When the stream ends or the network fails, it
 * reconnects after `retry` ms (the server's `retry:` if it sent one), sending the last event id as
 * Last-Event-ID, so a server with history replays what was missed. A 204, any other status than
 * 200, or a content type other than `text/event-stream` stops it with an {@link SseResponseError},
 * as it stops EventSource; `maxReconnects` failures in a row stop it with the last network error.
 *
 * A request with another method (`method`, `body` or `json`) is sent again by itself only if it
 * is idempotent (RFC 9110 §9.2.2): a POST never is, since that would ask its question twice. Its
 * clean end completes the Observable; a drop errors it with an {@link SseNotResumableError},
 * unless `reconnect` gives the request that resumes it (a GET of the answer's `Location`, with
 * Last-Event-ID). `validate` sees each response before the checks above, and may refuse it.
 *
 * Unsubscribing, at any moment (from inside `decode` or `backoff` too), aborts the request in
 * flight, cancels the wait before the next and makes no other: once closed, no reconnection is
 * attempted (WHATWG HTML, EventSource `close()`).
 *
 * What a server sends cannot make the client hold more than `maxEventSize` per event (an
 * {@link SseTooLargeError}), and with `readTimeout` a connection that went silent is reconnected.
 * A request that can never be sent, such as one whose Last-Event-ID the platform refuses, is not a
 * network failure: it errors at once with an {@link SseRequestError} rather than being retried.
 *
 * ## Example
 * ```ts
 * import { take } from 'rxjs';
 * import { fromSse } from 'rx-sse/client';
 *
 * fromSse('http://localhost:8080/counter', { decode: JSON.parse, readTimeout: 45_000 })
 *   .pipe(take(2))
 *   .subscribe((message) => console.log(message.event, message.data));
 * // Logs:
 * // counter 0
 * // counter 1
 * ```
 *
 * Without `decode`, each message's `data` is the text the server sent: `fromSse(url)` is an
 * `Observable<SseMessage<string>>`, and `fromSse<Foo>(url)` does not compile, since nothing would
 * make the text a `Foo`. With `decode`, `data` is what it returns: `T`, inferred from `decode` or
 * given (`fromSse<Foo>(url, { decode: JSON.parse })` is yours to vouch for), and `unknown` where
 * `decode` returns `any`, as `JSON.parse` does, so that `fromSse(url, { decode: JSON.parse })`
 * gets `unknown` data to narrow rather than `any`.
 *
 * @param url An `http:` or `https:` URL, without credentials (send those in `options.headers`).
 * @param options How to send the requests and read the events; `decode` is required here.
 * @param scheduler Where the reconnection waits and the read timeout run. Defaults to
 *   `asyncScheduler`.
 * @returns A cold Observable of the messages, as {@link SseMessage}s whose `data` is `decode`'s
 *   result (`unknown` where `decode` returns `any`).
 * @throws {TypeError} at the call, naming the argument or option, for a bad url or option, a
 *   header value that cannot be sent, an `options.lastEventId` that cannot go out unchanged, a
 *   method `fetch` refuses, or a body it cannot send again (a plain object: use `options.json`).
 */
export function fromSse<T>(
  url: string | URL,
  options: FromSseOptions<T> & { decode: (data: string) => T },
  scheduler?: SchedulerLike,
): Observable<SseMessage<unknown extends T ? unknown : T>>;
/**
 * An Observable of the events at `url` whose data is the text the server sent (no `decode`).
 *
 * @param url An `http:` or `https:` URL, without credentials (send those in `options.headers`).
 * @param options How to send the requests and read the events. Defaults to `{}`: a GET.
 * @param scheduler Where the reconnection waits and the read timeout run. Defaults to
 *   `asyncScheduler`.
 * @returns A cold Observable of the messages, as {@link SseMessage}s with string `data`.
 * @throws {TypeError} at the call, as the overload with `decode` does.
 */
export function fromSse(
  url: string | URL,
  options?: FromSseOptions,
  scheduler?: SchedulerLike,
): Observable<SseMessage>;
export function fromSse<T>(
  url: string | URL,
  options: FromSseOptions<T> = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<SseMessage<T>> {
  const settings = fromSseSettings(url, options, scheduler);
  const { first, decode, retry, backoff, maxReconnects, maxEventSize, readTimeout } = settings;
  const { fetch, validate } = settings;
  const base = { url: first.url, headers: settings.headers };
  // Sent again by itself only if sending it twice does no more than once (RFC 9110 §9.2.2).
  const repeatable = isIdempotent(first.method);

  return new Observable<SseMessage<T>>((subscriber) => {
    let lastEventId = settings.lastEventId;
    let delay = retry;
    let failures = 0;
    let request: SseRequest = first;
    /** The response to the first request (its latest sending): what `reconnect` is shown. */
    let firstResponse: Response | undefined;
    // What is live: the request being made or read, or the wait before the next. Unsubscribing
    // it aborts the request (and its read timer) or cancels the wait.
    let current: Subscription | undefined;

    /** The end of a stream that will not be sent again: a clean end completes, a drop errors. */
    const notResumed = (error: unknown, ended: boolean): void => {
      if (ended) subscriber.complete();
      else subscriber.error(notResumable(first, error));
    };

    // Read through functions where a callback may close them: TypeScript's narrowing cannot see it.
    const closed = (): boolean => subscriber.closed;

    /** After the stream ended (cleanly, or `ended` false: it dropped), the next request, if any. */
    const reconnect = (error: unknown, ended: boolean): void => {
      if (!repeatable && settings.reconnect === undefined) {
        notResumed(error, ended);
        return;
      }
      const href = request.url.href;
      failures++;
      const end =
        unsendableId(href, lastEventId, error) ??
        (failures > maxReconnects
          ? new Error(`fromSse: ${href}: gave up after ${String(maxReconnects)} reconnections`, {
              cause: error,
            })
          : undefined);
      if (end !== undefined) {
        subscriber.error(end);
        return;
      }
      let next: SseRequest | undefined;
      let ms: number;
      try {
        const location = locationOf(firstResponse, first.url);
        const context = { lastEventId, attempt: failures, response: firstResponse, location };
        next = reconnectRequest(settings.reconnect, context, base);
        // reconnect may have ended the subscription: then nothing more.
        if (closed()) return;
        if (next === undefined && !repeatable) {
          notResumed(error, ended);
          return;
        }
        ms = waitBefore(backoff, failures, delay);
      } catch (thrown) {
        subscriber.error(thrown);
        return;
      }
      // backoff may have ended the subscription (a takeUntil fed from it): then nothing more.
      if (closed()) return;
      request = next ?? first;
      // A synchronous scheduler (queueScheduler at 0 ms) runs connect within schedule(), and
      // connect has then made `current` its request: that, not the spent wait, is what is live.
      const before = current;
      const wait = scheduler.schedule(connect, ms);
      if (current === before) current = wait;
    };

    const connect = (): void => {
      const { url, method, headers, body } = request;
      const href = url.href;
      const aborter = new AbortController();
      const connection = new Subscription(() => {
        aborter.abort();
      });
      current = connection;
      const over = (): boolean => connection.closed;
      let parser: SseParser | undefined;
      // Ends this connection and reconnects, unless it was already ended (or unsubscribed).
      const drop = (error: unknown, ended = false): void => {
        if (connection.closed) return;
        connection.unsubscribe();
        // Even an id set by an event that dispatched nothing is sent back.
        if (parser !== undefined) lastEventId = parser.lastEventId;
        reconnect(error, ended);
      };

      const timer = readTimer(scheduler, readTimeout, (timeout) => {
        const message = `fromSse: ${href}: no byte arrived for ${String(timeout)} ms (readTimeout)`;
        drop(new SseReadTimeoutError(timeout, message));
      });
      connection.add(timer.subscription);

      const sent = sentHeaders(headers, lastEventId);
      void (async () => {
        // `no-store` makes fetch send `Cache-Control: no-cache` and `Pragma: no-cache` itself (Fetch
        // § HTTP-network-or-cache fetch), as EventSource's request does: headers the browser adds
        // need no CORS preflight, where the same header set by hand would.
        const response = await fetch(href, {
          method,
          headers: sent,
          body,
          signal: aborter.signal,
          cache: 'no-store',
        });
        timer.read();
        const acceptance = await acceptResponse(response, validate, href);
        // The teardown aborts the request, which releases a body left unread.
        if (over()) return;
        if (!acceptance.ok) {
          subscriber.error(acceptance.error);
          return;
        }
        if (request === first) firstResponse = acceptance.response;
        const reading = createParser(
          (event) => {
            if (subscriber.closed) return;
            lastEventId = event.lastEventId;
            failures = 0;
            let data: T;
            try {
              data = (decode === undefined ? event.data : decode(event.data)) as T;
            } catch (error) {
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
          maxEventSize,
        );
        parser = reading;
        const reader = acceptance.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || connection.closed) break;
          timer.read();
          reading.feed(value);
        }
        if (connection.closed) return;
        reading.end();
        // Ended by the server: reconnect, as EventSource does (a 204 is how a server says stop).
        drop(new Error(`fromSse: ${href}: the stream ended`), true);
      })().catch((error: unknown) => {
        if (connection.closed) return; // aborted by unsubscribing or by the read timeout
        if (error instanceof SseTooLargeError) {
          subscriber.error(new SseTooLargeError(error.limit, `fromSse: ${href}: ${error.message}`));
          return;
        }
        const refused = refusal(error);
        if (refused !== undefined) {
          subscriber.error(
            new SseRequestError(`fromSse: ${href}: the request cannot be sent: ${refused}`, {
              cause: error,
            }),
          );
          return;
        }
        drop(error);
      });
    };

    connect();
    return () => {
      current?.unsubscribe();
    };
  });
}
