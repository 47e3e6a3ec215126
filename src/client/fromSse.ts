import {
  asyncScheduler,
  Observable,
  Subscription,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { describe } from '../describe.js';
import {
  SseReadTimeoutError,
  SseRequestError,
  SseResponseError,
  SseTooLargeError,
} from './errors.js';
import { headerValueProblem, utf8Bytes } from './headerValue.js';
import { notAStream } from './notAStream.js';
import { createParser, type SseParser } from './parse.js';
import { refusal } from './refusal.js';
import { maxTimerDelay as maxDelay } from '../check.js';
import { fromSseSettings } from './fromSseSettings.js';

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
  /**
   * The Last-Event-ID to start from. Defaults to none. It must go out as a header value unchanged
   * (RFC 9110 §5.5): no control character but HTAB, and no space or tab at either end.
   */
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
   * streams that end at once, read timeouts) before it errors with the last failure; `0` never
   * reconnects. Defaults to `Infinity`, as EventSource.
   */
  maxReconnects?: number | undefined;
  /**
   * The most bytes (as received, UTF-8) one event may hold while it is read: its data so far
   * (lines joined with LF), its `event` type, the last event id (kept, and sent back) and the
   * whole line being read (field name included), together; the same wherever the network splits
   * the bytes, and whatever the shape of the stream (many short lines, long comments). Past it the
   * stream errors with an {@link SseTooLargeError}, and does not reconnect: the server would send
   * the same event again. `Infinity` lifts the bound. Defaults to `16777216` (16 MiB): far more
   * than an event meant to be decoded and shown at once, while a server, or anything between,
   * that never ends a line costs a client about that much memory, not all it has.
   */
  maxEventSize?: number | undefined;
  /**
   * How long, in ms, the connection may go without a byte arriving (the head included) before it
   * is taken for dropped and reconnected: the only way a client finds a half-open TCP connection.
   * Set it above the server's heartbeat period (an rx-sse server sends one every 15 s by default,
   * so `45000` suits it). Defaults to `false`: no timeout, as EventSource, since a server that sends
   * no heartbeat may be silent for any time.
   */
  readTimeout?: number | false | undefined;
}

/**
 * An Observable of the events at `url`, read with `fetch` as EventSource would read them, for
 * Node and anything else with `fetch`.
 *
 * Cold: each subscription opens its own request. When the stream ends or the network fails, it
 * reconnects after `retry` ms (the server's `retry:` if it sent one), sending the last event id as
 * Last-Event-ID, so a server with history replays what was missed. A 204, any other status than
 * 200, or a content type other than `text/event-stream` stops it with an {@link SseResponseError},
 * as it stops EventSource; `maxReconnects` failures in a row stop it with the last network error.
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
 * @param url An `http:` or `https:` URL, without credentials (send those in `options.headers`).
 * @param scheduler Where the reconnection waits and the read timeout run. Defaults to
 *   `asyncScheduler`.
 * @throws {TypeError} at the call, naming the argument or option, for a bad url or option, a
 *   header value that cannot be sent, or an `options.lastEventId` that cannot go out unchanged.
 */
export function fromSse<T = string>(
  url: string | URL,
  options: FromSseOptions<T> = {},
  scheduler: SchedulerLike = asyncScheduler,
): Observable<SseMessage<T>> {
  const settings = fromSseSettings(url, options, scheduler);
  const { target, base, decode, retry, backoff, maxReconnects, maxEventSize, readTimeout } =
    settings;
  const href = target.href;

  return new Observable<SseMessage<T>>((subscriber) => {
    let lastEventId = settings.lastEventId;
    let delay = retry;
    let failures = 0;
    // What is live: the request being made or read, or the wait before the next. Unsubscribing
    // it aborts the request (and its read timer) or cancels the wait.
    let current: Subscription | undefined;

    const reconnect = (error: unknown): void => {
      // The id the server left in force goes out on the next request: if it cannot, no request
      // ever will (RFC 9110 §5.5), so say so now rather than retry in vain.
      const problem = headerValueProblem(lastEventId);
      if (problem !== undefined) {
        subscriber.error(
          new SseRequestError(
            `fromSse: ${href}: the server's last event id ${JSON.stringify(lastEventId)} cannot be sent back as Last-Event-ID: ${problem}`,
            { cause: error },
          ),
        );
        return;
      }
      failures++;
      if (failures > maxReconnects) {
        subscriber.error(
          new Error(`fromSse: ${href}: gave up after ${String(maxReconnects)} reconnections`, {
            cause: error,
          }),
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
        // backoff may have ended the subscription (a takeUntil fed from it): then nothing more.
        if (subscriber.closed) return;
      }
      if (typeof ms !== 'number' || !(ms >= 0) || ms > maxDelay) {
        subscriber.error(
          new TypeError(
            `fromSse: options.backoff must return a number of ms from 0 to ${String(maxDelay)} (got ${describe(ms)})`,
          ),
        );
        return;
      }
      // A synchronous scheduler (queueScheduler at 0 ms) runs connect within schedule(), and
      // connect has then made `current` its request: that, not the spent wait, is what is live.
      const before = current;
      const wait = scheduler.schedule(connect, ms);
      if (current === before) current = wait;
    };

    const connect = (): void => {
      const request = new AbortController();
      const connection = new Subscription(() => {
        request.abort();
      });
      current = connection;
      let parser: SseParser | undefined;
      // Ends this connection and reconnects, unless it was already ended (or unsubscribed).
      const drop = (error: unknown): void => {
        if (connection.closed) return;
        connection.unsubscribe();
        // Even an id set by an event that dispatched nothing is sent back.
        if (parser !== undefined) lastEventId = parser.lastEventId;
        reconnect(error);
      };

      let lastRead = scheduler.now();
      if (readTimeout !== false) {
        // One timer per connection, not one per chunk: a chunk only notes the time, and the timer,
        // when it fires early, sleeps again for what is left of the timeout.
        connection.add(
          scheduler.schedule(function (this: SchedulerAction<undefined>) {
            const idle = scheduler.now() - lastRead;
            if (idle < readTimeout) {
              // A clock set back makes `idle` negative: wait a whole timeout then, no more.
              this.schedule(undefined, Math.min(readTimeout, readTimeout - idle));
              return;
            }
            drop(
              new SseReadTimeoutError(
                readTimeout,
                `fromSse: ${href}: no byte arrived for ${String(readTimeout)} ms (readTimeout)`,
              ),
            );
          }, readTimeout),
        );
      }

      const sent = new Headers(base);
      sent.set('Accept', 'text/event-stream');
      sent.set('Cache-Control', 'no-cache');
      // Headers are bytes: an id beyond Latin-1 goes as its UTF-8 bytes, as browsers send it.
      if (lastEventId !== '') sent.set('Last-Event-ID', utf8Bytes(lastEventId));
      else sent.delete('Last-Event-ID');
      void (async () => {
        const response = await fetch(target, { headers: sent, signal: request.signal });
        lastRead = scheduler.now();
        const problem = notAStream(response);
        if (problem !== undefined || response.body === null) {
          // The teardown aborts the request, which releases the body unread.
          subscriber.error(new SseResponseError(response.status, `fromSse: ${href}: ${problem}`));
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
        const reader = response.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done || connection.closed) break;
          lastRead = scheduler.now();
          reading.feed(value);
        }
        if (connection.closed) return;
        reading.end();
        // Ended by the server: reconnect, as EventSource does (a 204 is how a server says stop).
        drop(new Error(`fromSse: ${href}: the stream ended`));
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
