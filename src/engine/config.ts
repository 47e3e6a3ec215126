import type { HttpError } from '../errors.js';
import type { EncodeOptions } from '../options.js';
import type { EndReason, ErrorHook, HttpHeaders, SseStats } from '../types.js';
import type { LiveStreams } from './liveStreams.js';
import type { WriterLimits } from './writer.js';

/** What every stream of one listener (or one `toResponse`) shares, checked once at setup. */
export interface StreamConfig<C> {
  handler: (ctx: C) => unknown;
  encodeOptions: EncodeOptions;
  onError: ErrorHook<C>;
  limits: WriterLimits;
  /** The retry preamble, which is not counted as an event. */
  preamble: string | undefined;
  stats: SseStats;
  /** The listener's open streams, with their heartbeat. */
  live: LiveStreams;
  onConnect: ((ctx: C) => void) | undefined;
  onDisconnect: ((ctx: C, reason: EndReason) => void) | undefined;
  /** The answer to a request still waiting for its handler when the listener closes. */
  closing: HttpError;
}

/** The engine's hold on a handler's context: the door makes it, the engine ends it. */
export interface EndableContext {
  /** The stream is over: the context's signal aborts. Idempotent. */
  end(): void;
  /** Whether `error` is what the end of the stream caused in code listening on the signal. */
  isEndOf(error: unknown): boolean;
  /** The headers the handler set for the stream's head (`ctx.setHeader`), if any. */
  responseHeaders(): HttpHeaders | undefined;
}

/** A request as the engine sees it: what the door knows, and how to make its context. */
export interface StreamRequest<C> {
  /** `GET` or `HEAD`. */
  method: string;
  /** Names the request in an error: `GET /path`. */
  name(): string;
  /** Makes the handler's context; may throw (an {@link HttpError} 400 for a URL that cannot be parsed). */
  context(): C & EndableContext;
}
