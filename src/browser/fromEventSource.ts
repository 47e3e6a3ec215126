import { Observable } from 'rxjs';
import { checkFunction, checkInteger, checkKeys } from '../check.js';
import { describe } from '../describe.js';
import { EventSourceError } from './EventSourceError.js';

/** One event received, as the browser's EventSource dispatched it. */
export interface EventSourceMessage<T = string> {
  /** The event type: `message`, or the name the server gave it with `event:`. */
  event: string;
  /** The data: text, or what `decode` made of it. */
  data: T;
  /**
   * The last event id in force: this event's `id:` if it had one, else the one before (`''` for
   * none); what the browser sends back as Last-Event-ID. EventSource cannot tell whether the event
   * carried an id itself, so unlike `SseMessage` of `rx-sse/client` there is no `id`.
   */
  lastEventId: string;
  /** The origin the event came from (after redirects), such as `https://example.com`. */
  origin: string;
}

/** Options of {@link fromEventSource}. */
export interface FromEventSourceOptions<T = string> {
  /**
   * The event types to emit. EventSource dispatches an event the server named (`event: tick`) only
   * to listeners of that name, so list each one, and `'message'` for events sent without a name.
   * Others are ignored. Defaults to `['message']`.
   */
  events?: readonly string[] | undefined;
  /**
   * Sends cookies with a cross-origin request; the server must allow credentials in its CORS
   * answer. Defaults to `false`.
   */
  withCredentials?: boolean | undefined;
  /**
   * Turns each event's data into a value, such as `JSON.parse`; its result is the message's
   * `data`. Defaults to none: `data` is the text. `fromEventSource` requires it for any `T` but
   * `string`, and types `data` as `unknown` where it returns `any`. Throwing errors the Observable.
   * @param data The event's data, as the browser joined its `data:` lines.
   * @returns The message's `data`.
   */
  decode?: ((data: string) => T) | undefined;
  /** Called each time the connection opens: the first time, and after each reconnection. */
  onOpen?: (() => void) | undefined;
  /**
   * Called when the connection dropped and the browser is reconnecting by itself, with how many
   * times in a row it has (1 for the first since an event arrived). The Observable carries on.
   * A hook that throws errors the Observable.
   * @param attempt How many times in a row the browser has reconnected: 1, 2, 3…
   */
  onReconnecting?: ((attempt: number) => void) | undefined;
  /**
   * How many times in a row the browser may reconnect with no event emitted in between before the
   * Observable errors. Defaults to `Infinity`, as EventSource: it retries a server it cannot reach
   * forever. `0` errors on the first drop.
   */
  maxReconnects?: number | undefined;
}

const optionNames: ReadonlySet<string> = new Set([
  'events',
  'withCredentials',
  'decode',
  'onOpen',
  'onReconnecting',
  'maxReconnects',
] satisfies (keyof FromEventSourceOptions)[]);

/**
 * An Observable of the events at `url`, read by the browser's own `EventSource`.
 *
 * Cold: each subscription opens one EventSource, and unsubscribing closes it (the server sees the
 * client go). It never completes by itself, as EventSource never stops by itself: end it with
 * `take`, `takeUntil` or `takeWhile` (a last named event such as `done` is a good signal).
 * Unsubscribing at any moment, from inside `decode`, `onOpen` or `onReconnecting` too, closes it,
 * and a closed EventSource aborts its request and never reconnects (WHATWG HTML, `close()`).
 *
 * EventSource reports a dropped connection and a fatal failure with the same `error` event; the
 * `readyState` tells them apart. A drop (`CONNECTING`) is not an error here: the browser reconnects
 * by itself, sending the last event id as Last-Event-ID, and the Observable carries on
 * (`onReconnecting` says so; `maxReconnects` bounds it). A failure (`CLOSED`) errors the Observable
 * with an {@link EventSourceError} naming the url: a status other than 200 (a `204` is how a
 * server says "stop", and EventSource cannot tell it from a `500`), a content type other than
 * `text/event-stream`, or a response the browser refuses, such as for CORS. A server event that is
 * itself named `error` (or `open`) is a `MessageEvent` with data, never taken for the connection's
 * own plain `Event`: it is emitted when `events` lists it, and ignored otherwise.
 *
 * Arguments are checked at the call, with a `TypeError` naming what is wrong; `EventSource` is
 * looked up only on subscription, so the Observable can be built where there is none (server-side
 * rendering), and errors if subscribed there. On Node, use `fromSse` from `rx-sse/client`.
 *
 * It imports `rxjs` and two small shared modules of rx-sse's (its argument checks), nothing of
 * node. With a bundler, import `rx-sse/browser` as any module. Without one, serve
 * `node_modules/rx-sse/dist/` and map `rx-sse/browser` (`dist/browser/index.js`) and `rxjs` (an ESM
 * build) in an import map: see `samples/browser/`.
 *
 * Without `decode`, each message's `data` is the text the server sent, and
 * `fromEventSource<Foo>(url)` does not compile; with `decode`, `data` is what it returns, and
 * `unknown` where it returns `any`, as `JSON.parse` does.
 *
 * ## Example
 * ```ts
 * import { take } from 'rxjs';
 * import { fromEventSource } from 'rx-sse/browser';
 *
 * fromEventSource('/counter', { events: ['counter'], decode: JSON.parse })
 *   .pipe(take(2))
 *   .subscribe(({ event, data, lastEventId }) => console.log(event, data, lastEventId));
 * // Logs:
 * // counter 0 0
 * // counter 1 1
 * ```
 *
 * @param url The stream's URL, resolved against the page's (or worker's) as EventSource does.
 * @param options What to listen for and how to read it; `decode` is required here.
 * @returns A cold Observable of the events, as {@link EventSourceMessage}s whose `data` is
 *   `decode`'s result (`unknown` where `decode` returns `any`). It errors with an
 *   {@link EventSourceError} when the browser gives up, and with an `Error` when subscribed where
 *   there is no `EventSource`.
 * @throws {TypeError} at the call, naming the argument or option, for a url that is not a valid
 *   URL or an option of the wrong type (an unknown option, an empty `events`, a `maxReconnects`
 *   that is not a non-negative integer or `Infinity`).
 */
export function fromEventSource<T>(
  url: string | URL,
  options: FromEventSourceOptions<T> & { decode: (data: string) => T },
): Observable<EventSourceMessage<unknown extends T ? unknown : T>>;
/**
 * An Observable of the events at `url` whose data is the text the server sent (no `decode`).
 *
 * @param url The stream's URL, resolved against the page's (or worker's) as EventSource does.
 * @param options What to listen for. Defaults to `{}`: events without a name (`message`).
 * @returns A cold Observable of the events, as {@link EventSourceMessage}s with string `data`.
 * @throws {TypeError} at the call, as the overload with `decode` does.
 */
export function fromEventSource(
  url: string | URL,
  options?: FromEventSourceOptions,
): Observable<EventSourceMessage>;
export function fromEventSource<T>(
  url: string | URL,
  options: FromEventSourceOptions<T> = {},
): Observable<EventSourceMessage<T>> {
  const caller = 'fromEventSource';
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TypeError(`${caller}: url must be a string or a URL (got ${describe(url)})`);
  }
  checkKeys(caller, options, optionNames);
  const {
    events = ['message'],
    withCredentials = false,
    decode,
    onOpen,
    onReconnecting,
    maxReconnects = Infinity,
  } = options;
  try {
    // Resolved as EventSource will resolve it: against the page (or worker) it runs in.
    new URL(url, typeof location === 'object' ? location.href : undefined);
  } catch {
    throw new TypeError(`${caller}: url is not a valid URL (got ${describe(String(url))})`);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new TypeError(
      `${caller}: options.events must be a non-empty array of event types (got ${describe(events)})`,
    );
  }
  events.forEach((type: unknown, i) => {
    if (typeof type !== 'string' || type === '') {
      throw new TypeError(
        `${caller}: options.events[${i}] must be a non-empty string (got ${describe(type)})`,
      );
    }
  });
  if (typeof withCredentials !== 'boolean') {
    throw new TypeError(
      `${caller}: options.withCredentials must be a boolean (got ${describe(withCredentials)})`,
    );
  }
  checkFunction(caller, 'options.decode', decode);
  checkFunction(caller, 'options.onOpen', onOpen);
  checkFunction(caller, 'options.onReconnecting', onReconnecting);
  checkInteger(caller, 'options.maxReconnects', maxReconnects, 0);
  const types = new Set(events);

  return new Observable<EventSourceMessage<T>>((subscriber) => {
    if (typeof EventSource !== 'function') {
      throw new Error(
        `${caller}: there is no EventSource here: it runs in browsers (on Node, use fromSse from rx-sse/client)`,
      );
    }
    const source = new EventSource(url, { withCredentials });
    const target = source.url;
    let drops = 0;

    const call = (name: string, hook: () => void): void => {
      try {
        hook();
      } catch (error) {
        subscriber.error(new Error(`${caller}: options.${name} threw`, { cause: error }));
      }
    };

    // A server event is always a MessageEvent; the connection's own `open` and `error` are plain
    // Events. So a server event named `error` or `open` is never mistaken for the connection's.
    const onEvent = (event: Event): void => {
      if (!(event instanceof MessageEvent) || subscriber.closed) return;
      drops = 0;
      const text = String(event.data);
      let data: T;
      try {
        data = decode === undefined ? (text as T) : decode(text);
      } catch (error) {
        subscriber.error(
          new Error(
            `${caller}: ${target}: options.decode failed on a ${JSON.stringify(event.type)} event: ${describe(text)}`,
            { cause: error },
          ),
        );
        return;
      }
      subscriber.next({
        event: event.type,
        data,
        lastEventId: event.lastEventId,
        origin: event.origin,
      });
    };
    const onOpenEvent = (event: Event): void => {
      if (event instanceof MessageEvent || onOpen === undefined) return;
      call('onOpen', onOpen);
    };
    const onError = (event: Event): void => {
      if (event instanceof MessageEvent || subscriber.closed) return;
      if (source.readyState === EventSource.CLOSED) {
        subscriber.error(
          new EventSourceError(
            'closed',
            target,
            `${caller}: ${target}: the browser closed the stream and will not reconnect (a status other than 200, such as 204 or 500; a content type other than text/event-stream; or a response refused, such as by CORS)`,
          ),
        );
        return;
      }
      drops++;
      if (drops > maxReconnects) {
        subscriber.error(
          new EventSourceError(
            'reconnects',
            target,
            `${caller}: ${target}: gave up after ${maxReconnects} reconnections in a row with no event`,
          ),
        );
        return;
      }
      if (onReconnecting !== undefined) {
        call('onReconnecting', () => {
          onReconnecting(drops);
        });
      }
    };

    for (const type of types) source.addEventListener(type, onEvent);
    source.addEventListener('open', onOpenEvent);
    source.addEventListener('error', onError);
    // Closing is the whole teardown: a closed EventSource dispatches nothing more, and it and its
    // listeners are garbage once this subscription is.
    return () => {
      source.close();
    };
  });
}
