import { asyncScheduler, isObservable, type SchedulerLike } from 'rxjs';
import { checkFunction, checkInteger, checkKeys, checkScheduler } from '../check.js';
import { describe } from '../describe.js';
import type {
  CompressOptions,
  EncodeOptions,
  ResponseOptions,
  ServeOptions,
  SseOptions,
} from '../options.js';
import type { EndReason, ErrorHook, SseContext, SseRequest } from '../types.js';
import { isToken } from '../wire/httpField.js';
import { checkWireOptions } from '../wire/toWire.js';
import { corsPolicy, type CorsPolicy } from './cors.js';
import { streamHeaders, type HeadSet } from './headers.js';
import { defaultMaxBodyBytes } from './body.js';
import { defaultMaxLastEventIdLength } from './lastEventId.js';
import { logError } from './report.js';
import type { WriterLimits } from './writer.js';

// Every option of sse() and toResponse() is checked and defaulted here, once, at setup: each
// mistake throws a TypeError that names the option, before any client connects. Both doors read
// the same settings, so an option means the same on both.

/** What both doors' streams need: {@link ServeOptions} checked, every default filled in. */
export interface Settings<C> {
  /** The heartbeat period in ms, or `false`. */
  heartbeat: number | false;
  scheduler: SchedulerLike;
  encodeOptions: EncodeOptions;
  preamble: string | undefined;
  onError: ErrorHook<C>;
  maxLastEventIdLength: number;
  limits: WriterLimits;
  heads: HeadSet;
}

/** {@link SseOptions} checked, every default filled in. */
export interface ListenerSettings extends Settings<SseContext> {
  /** The methods served as streams (HEAD with GET). */
  methods: ReadonlySet<string>;
  /** The same, as an `Allow` header's value. */
  allow: string;
  maxBodyBytes: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  addressOf: (req: SseRequest) => string | undefined;
  fetchAddressOf: ((request: Request, platform: unknown) => string | undefined) | undefined;
  retryAfter: number;
  cors: CorsPolicy | undefined;
  /** gzip settings, when the node door compresses for clients that accept it. */
  compress: CompressOptions | undefined;
  onConnect: ((ctx: SseContext) => void) | undefined;
  onDisconnect: ((ctx: SseContext, reason: EndReason) => void) | undefined;
}

/** Every key of {@link ServeOptions}, checked complete by the compiler. */
const serveKeys: Record<keyof ServeOptions<unknown>, true> = {
  retry: true,
  heartbeat: true,
  serialize: true,
  headers: true,
  onError: true,
  maxLastEventIdLength: true,
  scheduler: true,
  maxBufferedBytes: true,
  onSlowClient: true,
};
const listenerKeys: Record<Exclude<keyof SseOptions, keyof ServeOptions<unknown>>, true> = {
  methods: true,
  maxBodyBytes: true,
  maxConnections: true,
  maxConnectionsPerAddress: true,
  addressOf: true,
  fetchAddressOf: true,
  retryAfter: true,
  cors: true,
  compress: true,
  onConnect: true,
  onDisconnect: true,
};
const sseNames: ReadonlySet<string> = new Set(Object.keys({ ...serveKeys, ...listenerKeys }));
const responseNames: ReadonlySet<string> = new Set([...Object.keys(serveKeys), 'request']);

/** Checks `sse()`'s arguments. */
export function resolveListener(handler: unknown, options: SseOptions): ListenerSettings {
  if (typeof handler !== 'function') {
    throw new TypeError(
      `sse: the handler must be a function from a context to an Observable (got ${describe(handler)})`,
    );
  }
  checkKeys('sse', options, sseNames);
  const {
    maxBodyBytes = defaultMaxBodyBytes,
    maxConnections = Infinity,
    maxConnectionsPerAddress = Infinity,
    addressOf = remoteAddress,
    fetchAddressOf,
    retryAfter = 5,
    onConnect,
    onDisconnect,
  } = options;
  for (const [name, fn] of Object.entries({ addressOf, fetchAddressOf, onConnect, onDisconnect })) {
    checkFunction('sse', `options.${name}`, fn);
  }
  checkInteger('sse', 'options.maxBodyBytes', maxBodyBytes, 0, Number.MAX_SAFE_INTEGER);
  const methods = checkMethods(options.methods);
  const allow = [...methods].join(', ');
  checkInteger('sse', 'options.maxConnections', maxConnections);
  checkInteger('sse', 'options.maxConnectionsPerAddress', maxConnectionsPerAddress);
  checkInteger('sse', 'options.retryAfter', retryAfter, 0);
  const cors = options.cors === undefined ? undefined : corsPolicy(options.cors, allow);
  const compress = checkCompress('sse', options.compress);
  return {
    ...resolveServe<SseContext>('sse', options, {
      origin: cors?.varies,
      encoding: compress !== undefined,
    }),
    methods,
    allow,
    maxBodyBytes,
    maxConnections,
    maxConnectionsPerAddress,
    addressOf,
    fetchAddressOf,
    retryAfter,
    cors,
    compress,
    onConnect,
    onDisconnect,
  };
}

/** Checks `toResponse()`'s arguments. */
export function resolveResponse<C>(source: unknown, options: ResponseOptions): Settings<C> {
  const caller = 'toResponse';
  if (typeof source !== 'function' && !isObservable(source)) {
    throw new TypeError(
      `${caller}: the source must be an Observable of events or a handler that returns one (got ${describe(source)})`,
    );
  }
  if (typeof options === 'object' && (options as object | null) !== null) {
    const listenerOnly = Object.keys(options).find((key) => key in listenerKeys);
    if (listenerOnly !== undefined) {
      throw new TypeError(
        `${caller}: options.${listenerOnly} is an option of sse(), whose listener.fetch(request) serves fetch runtimes with limits, CORS, stats and close()${listenerOnly === 'compress' ? " (gzip is the node door's: on a fetch runtime, let the platform compress)" : ''}`,
      );
    }
  }
  checkKeys(caller, options, responseNames);
  const { request } = options;
  const candidate = request as Partial<Request> | undefined;
  if (
    request !== undefined &&
    (typeof candidate?.url !== 'string' || typeof candidate.headers?.get !== 'function')
  ) {
    throw new TypeError(
      `${caller}: options.request must be the Request being answered (got ${describe(request)})`,
    );
  }
  if (request !== undefined && !URL.canParse(request.url)) {
    throw new TypeError(
      `${caller}: options.request.url must be an absolute URL (got ${JSON.stringify(request.url)})`,
    );
  }
  return resolveServe<C>(caller, options as ServeOptions<C>, {});
}

/** The checks and defaults both callers share. */
function resolveServe<C>(
  caller: string,
  options: ServeOptions<C>,
  vary: { origin?: boolean | undefined; encoding?: boolean | undefined },
): Settings<C> {
  const {
    onError = logError,
    maxLastEventIdLength = defaultMaxLastEventIdLength,
    scheduler = asyncScheduler,
    maxBufferedBytes = 1024 * 1024,
    onSlowClient = 'close',
  } = options;
  const { heartbeat, encodeOptions, preamble } = checkWireOptions(options, caller);
  checkScheduler(caller, 'options.scheduler', scheduler);
  checkFunction(caller, 'options.onError', onError);
  checkInteger(caller, 'options.maxLastEventIdLength', maxLastEventIdLength);
  checkInteger(caller, 'options.maxBufferedBytes', maxBufferedBytes);
  // Checked at run time too: options come from user code, often untyped.
  const policy: unknown = onSlowClient;
  if (policy !== 'close' && policy !== 'drop') {
    throw new TypeError(
      `${caller}: options.onSlowClient must be 'close' or 'drop' (got ${describe(policy)})`,
    );
  }
  return {
    heartbeat,
    scheduler,
    encodeOptions,
    preamble,
    onError,
    maxLastEventIdLength,
    limits: { maxBufferedBytes, onSlowClient },
    heads: streamHeaders(options.headers, vary, caller),
  };
}

const compressRanges: Record<keyof CompressOptions, [number, number]> = {
  level: [1, 9],
  windowBits: [9, 15],
  memLevel: [1, 9],
};

/** Checks `options.compress`; `undefined` means no compression. */
function checkCompress(caller: string, value: unknown): CompressOptions | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(
      `${caller}: options.compress must be true, false or { level, windowBits, memLevel } (got ${describe(value)})`,
    );
  }
  const chosen: Record<string, number> = {};
  for (const [name, setting] of Object.entries(value)) {
    const range = compressRanges[name as keyof CompressOptions] as [number, number] | undefined;
    if (range === undefined) {
      throw new TypeError(
        `${caller}: unknown option options.compress.${name}; the options are level, windowBits, memLevel`,
      );
    }
    if (setting === undefined) continue;
    const [min, max] = range;
    if (!Number.isInteger(setting) || (setting as number) < min || (setting as number) > max) {
      throw new TypeError(
        `${caller}: options.compress.${name} must be an integer from ${min} to ${max} (got ${describe(setting)})`,
      );
    }
    chosen[name] = setting as number;
  }
  return chosen;
}

function remoteAddress(req: SseRequest): string {
  return req.socket.remoteAddress ?? '';
}

/** Methods that cannot start a stream: a preflight's, a tunnel's, a loop-back's. */
const notStreams: ReadonlySet<string> = new Set(['OPTIONS', 'CONNECT', 'TRACE']);

/** Checks `options.methods`: a list of method tokens; HEAD is added with GET. */
function checkMethods(value: unknown): ReadonlySet<string> {
  if (value === undefined) return new Set(['GET', 'HEAD']);
  if (!Array.isArray(value) || value.length === 0) {
    throw new TypeError(
      `sse: options.methods must be a non-empty list of methods such as ['GET', 'POST'] (got ${describe(value)})`,
    );
  }
  const methods = new Set<string>();
  for (const method of value as unknown[]) {
    if (typeof method !== 'string' || !isToken(method) || notStreams.has(method.toUpperCase())) {
      throw new TypeError(
        `sse: options.methods must hold method names other than OPTIONS, CONNECT and TRACE (got ${describe(method)})`,
      );
    }
    // Methods are case-sensitive (RFC 9110 §9.1), and the standard ones are upper case.
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
  }
  return methods;
}
