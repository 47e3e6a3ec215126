import { checkInteger, maxTimerDelay } from '../check.js';
import { HttpError } from '../errors.js';
import type { CloseOptions, SseOptions } from '../options.js';
import type { SseContext, SseHandler, SseStats } from '../types.js';
import { LiveStreams, type LiveStream } from './liveStreams.js';
import { resolveListener, type ListenerSettings } from './settings.js';
import type { Sink } from './sink.js';
import { emptyStats } from './stats.js';
import type { StreamConfig, StreamRequest } from './config.js';
import { Stream } from './stream.js';

/**
 * What both doors of one `sse()` listener share: its settings, figures, open streams (with their
 * heartbeat sweep), limits and shutdown. A door turns its runtime's request into a {@link Sink}
 * and a {@link StreamRequest}; whether a stream may start, and everything after, is decided here
 * and in the {@link Stream}, the same for both.
 */
export class Admission {
  readonly settings: ListenerSettings;
  readonly stats: SseStats = emptyStats();
  readonly #live: LiveStreams;
  readonly #config: StreamConfig<SseContext>;
  /** Open streams per address; kept only when there is a per-address limit. */
  readonly #perAddress: Map<string, number> | undefined;
  #closed: Promise<void> | undefined;
  /** The answers of the listener's own refusals, made once. */
  readonly refusals: {
    readonly notAllowed: HttpError;
    readonly foreign: HttpError;
    readonly full: HttpError;
    readonly closing: HttpError;
  };

  constructor(handler: SseHandler, options: SseOptions) {
    const settings = resolveListener(handler, options);
    this.settings = settings;
    this.#live = new LiveStreams(settings.heartbeat, settings.scheduler);
    this.#perAddress = settings.maxConnectionsPerAddress === Infinity ? undefined : new Map();
    const retryAfter = String(settings.retryAfter);
    this.refusals = {
      notAllowed: new HttpError(405, undefined, { headers: { Allow: settings.allow } }),
      foreign: new HttpError(403, 'Origin not allowed'),
      full: new HttpError(503, 'Too many connections', { headers: { 'Retry-After': retryAfter } }),
      // Connection: close is for node's HTTP/1; the other sinks leave connection headers out.
      closing: new HttpError(503, 'Shutting down', {
        headers: { 'Retry-After': retryAfter, Connection: 'close' },
      }),
    };
    this.#config = {
      handler,
      encodeOptions: settings.encodeOptions,
      onError: settings.onError,
      limits: settings.limits,
      preamble: settings.preamble,
      stats: this.stats,
      live: this.#live,
      onConnect: settings.onConnect,
      onDisconnect: settings.onDisconnect,
      closing: this.refusals.closing,
    };
  }

  /** Whether addresses are counted (so a door must find the request's). */
  get countsAddresses(): boolean {
    return this.#perAddress !== undefined;
  }

  /**
   * Serves a request whose response owns its connection: refused if the listener is closing or
   * full (`address`'s share included), else a stream on `sink`.
   */
  admit(sink: Sink, request: StreamRequest<SseContext>, address: string): void {
    const perAddress = this.#perAddress;
    const fromAddress = perAddress?.get(address) ?? 0;
    const refusal =
      this.#closed !== undefined
        ? this.refusals.closing
        : this.#live.size >= this.settings.maxConnections ||
            fromAddress >= this.settings.maxConnectionsPerAddress
          ? this.refusals.full
          : undefined;
    if (refusal !== undefined) {
      this.stats.refused++;
      sink.refuse(refusal);
      return;
    }
    if (perAddress === undefined) {
      new Stream(sink, request, this.#config, noop).serve();
      return;
    }
    perAddress.set(address, fromAddress + 1);
    new Stream(sink, request, this.#config, () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left === 0) perAddress.delete(address);
      else perAddress.set(address, left);
    }).serve();
  }

  /** See `SseListener.close`. */
  close(options: CloseOptions = {}): Promise<void> {
    const { lastEvent, timeout = 5000 } = options;
    checkInteger('sse', 'close() options.timeout', timeout, 0);
    if (timeout !== Infinity && timeout > maxTimerDelay) {
      throw new TypeError(
        `sse: close() options.timeout must be at most ${maxTimerDelay} ms, or Infinity to wait for ever (got ${timeout})`,
      );
    }
    if (this.#closed !== undefined) return this.#closed;
    const streams = [...this.#live];
    for (const stream of streams) stream.shutdown(lastEvent);
    this.#closed = new Promise((resolve) => {
      const flushing = new Set(streams);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settled = (stream: LiveStream): void => {
        if (!flushing.delete(stream) || flushing.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
      for (const stream of streams) {
        stream.settled(() => {
          settled(stream);
        });
      }
      if (flushing.size === 0) resolve();
      else if (timeout !== Infinity) {
        // Those still flushing (to clients that do not read) are cut.
        timer = setTimeout(() => {
          for (const stream of flushing) stream.destroy();
        }, timeout);
      }
    });
    return this.#closed;
  }

  /** True once {@link close} was called. */
  get closing(): boolean {
    return this.#closed !== undefined;
  }
}

function noop(): void {
  // Nothing to release when addresses are not counted.
}
