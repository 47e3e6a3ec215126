import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import type { Gzip } from 'node:zlib';
import type { StreamRequest } from '../engine/config.js';
import type { HeadSet } from '../engine/headers.js';
import { logError } from '../engine/report.js';
import type { Sink, SinkOwner } from '../engine/sink.js';
import type { CompressOptions } from '../options.js';
import type { HttpHeaders, SseContext, SseRequest, SseResponse } from '../types.js';
import { acceptsGzip, createFlushingGzip } from './compress.js';
import { RequestContext } from './context.js';
import { isHttp2, wantsKeepAlive } from './http.js';
import { refuse } from './refuse.js';

/** What every node sink of one listener shares. */
export interface NodeSinkSettings {
  heads: HeadSet;
  /** gzip settings, when streams are compressed for clients that accept it. */
  compress: CompressOptions | undefined;
  maxLastEventIdLength: number;
  maxBodyBytes: number;
}

/**
 * The engine's {@link Sink} on node: a `ServerResponse` (HTTP/1) or node:http2's compat response,
 * which writes, drains and flushes its head the same way.
 *
 * The response owns its connection by the time a sink is made (the door holds a pipelined request
 * until it does), so its `'close'` comes when the socket's does; on HTTP/2, when its stream's does.
 * Nothing is listened for on the socket, which pipelined requests and HTTP/2 streams share. With
 * `gzip`, bytes go through a gzip stream piped to the response, flushed per write (so per turn);
 * what the compressor holds is owed too, and it is destroyed with the response.
 *
 * It is also the request as the engine sees it ({@link StreamRequest}): one object per stream
 * fewer, where an idle stream's memory is mostly the objects it is made of.
 */
export class NodeSink implements Sink, StreamRequest<SseContext> {
  readonly #req: SseRequest;
  readonly #res: ServerResponse;
  readonly #settings: NodeSinkSettings;
  #owner: SinkOwner | undefined;
  /** Where bytes are written: the response, or a gzip stream piped to it (from `open`). */
  #out: Writable;
  #gzip: Gzip | undefined;
  /** The callback of 'drain', made only for a stream that had to wait. */
  #onDrain: (() => void) | undefined;

  /**
   * The one 'close' listener of every response, called with the response as `this`: it finds its
   * sink under {@link sinkOf}. Not a closure per stream — an idle stream's memory is mostly the
   * objects and closures it is made of.
   */
  static readonly #onClose = function (this: SinkCarrier): void {
    const sink = this[sinkOf];
    if (sink !== undefined) sink.#owner?.left();
  };

  constructor(req: SseRequest, res: SseResponse, settings: NodeSinkSettings) {
    this.#req = req;
    // node:http2's compat response writes, drains and flushes its head the same way; its types
    // just lack `flushHeaders`.
    this.#res = res as ServerResponse;
    this.#out = this.#res;
    this.#settings = settings;
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  name(): string {
    return `${this.#req.method ?? ''} ${this.#req.url ?? ''}`;
  }

  context(): RequestContext {
    return new RequestContext(
      this.#req,
      this.#settings.maxLastEventIdLength,
      this.#settings.maxBodyBytes,
    );
  }

  get gone(): boolean {
    // (On HTTP/2, `req.socket.destroyed` is the stream's.) The client left before the handler was
    // called: 'close' has been.
    return this.#req.socket.destroyed;
  }

  listen(owner: SinkOwner): void {
    this.#owner = owner;
    const res = this.#res as SinkCarrier;
    res[sinkOf] = this;
    res.on('close', NodeSink.#onClose);
    // A write racing a departing client fails with EPIPE or ECONNRESET: a normal ending, not an
    // error. The listener stays for the response's life, since such an error can come after end().
    res.on('error', ignoreDeparture);
  }

  owed(): number {
    const gzip = this.#gzip;
    return (
      this.#res.writableLength +
      (gzip === undefined ? 0 : gzip.writableLength + gzip.readableLength)
    );
  }

  open(first: string, headers: HttpHeaders | undefined): boolean {
    const res = this.#res;
    const { heads, compress } = this.#settings;
    const base = (wantsKeepAlive(this.#req) ? heads.keepAlive : heads.plain) as OutgoingHttpHeaders;
    const head = keepingVary(res, headers === undefined ? base : over(base, headers));
    if (compress === undefined || !acceptsGzip(this.#req.headers['accept-encoding'])) {
      res.writeHead(200, head);
    } else {
      res.writeHead(200, { ...head, 'Content-Encoding': 'gzip' });
      const compressor = createFlushingGzip(compress);
      this.#gzip = compressor;
      // However the response ends — a client leaving after end() while the compressor still
      // holds a backlog included — the compressor's memory goes with it.
      res.once('close', () => compressor.destroy());
      // A failure of the compressor ends this response, as a socket error would.
      compressor.on('error', (error) => {
        logError(error);
        res.destroy();
      });
      compressor.pipe(res);
      this.#out = compressor;
    }
    if (first !== '') return this.write(first);
    res.flushHeaders();
    return true;
  }

  write(chunk: string): boolean {
    const out = this.#out;
    if (out.write(chunk)) return true;
    // The engine writes nothing more until told: one 'drain' listener at a time.
    if (this.#onDrain === undefined) {
      this.#onDrain = (): void => {
        this.#onDrain = undefined;
        this.#owner?.drained();
      };
      out.once('drain', this.#onDrain);
    }
    return false;
  }

  end(hangUp: boolean): void {
    const res = this.#res;
    this.#detach();
    // A gzip stream ends the response once its last bytes are through (it is piped).
    this.#out.end();
    // A keep-alive socket would otherwise idle on until its timeout, holding server.close().
    // An HTTP/2 session is shared by other streams: closing it is the server's business.
    if (hangUp && !isHttp2(this.#req)) {
      const socket = res.socket;
      res.once('finish', () => socket?.end());
    }
  }

  refuse(error: unknown): void {
    this.#detach();
    refuse(this.#res, error, this.#settings.heads.extra as OutgoingHttpHeaders);
  }

  drop(cut: boolean): void {
    this.#detach();
    // The compressor's memory goes now, not when the collector finds it.
    this.#gzip?.destroy();
    if (cut) this.#res.destroy();
  }

  settled(done: () => void): void {
    const res = this.#res;
    if (res.writableFinished || res.destroyed) {
      done();
      return;
    }
    let counted = false;
    const once = (): void => {
      if (counted) return;
      counted = true;
      done();
    };
    res.once('finish', once);
    res.once('close', once);
  }

  destroy(): void {
    this.#res.destroy();
  }

  /** The stream is over: nothing more is told to it. */
  #detach(): void {
    this.#owner = undefined;
    this.#res.off('close', NodeSink.#onClose);
    (this.#res as SinkCarrier)[sinkOf] = undefined;
    if (this.#onDrain !== undefined) this.#out.off('drain', this.#onDrain);
    this.#onDrain = undefined;
  }
}

/** Where a response carries its sink, for the shared 'close' listener. */
const sinkOf = Symbol('rx-sse sink');

/** A response with its sink. */
type SinkCarrier = ServerResponse & { [sinkOf]?: NodeSink | undefined };

/**
 * The head with a `Vary` that also keeps what earlier middleware set on `res` (say, the `cors`
 * package's `Vary: Origin`): `writeHead` would otherwise replace it. Costs nothing without one.
 */
function keepingVary(res: ServerResponse, headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const before = res.getHeader('vary');
  if (before === undefined) return headers;
  const name = Object.keys(headers).find((key) => key.toLowerCase() === 'vary');
  if (name === undefined) return headers;
  const values = new Map<string, string>();
  for (const item of [before, headers[name]].flat().join(',').split(',')) {
    const value = item.trim();
    if (value !== '') values.set(value.toLowerCase(), value);
  }
  return { ...headers, [name]: [...values.values()].join(', ') };
}

/** `headers` over `base`, a header of `headers` replacing one of `base` whatever its case. */
function over(base: OutgoingHttpHeaders, headers: HttpHeaders): OutgoingHttpHeaders {
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  const merged: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(base)) {
    if (!names.has(name.toLowerCase())) merged[name] = value;
  }
  return Object.assign(merged, headers);
}

const departures = new Set([
  'EPIPE',
  'ECONNRESET',
  'ERR_STREAM_DESTROYED',
  'ERR_STREAM_WRITE_AFTER_END',
]);

/** Listens for errors on a response: a departed client is normal, anything else is logged. */
function ignoreDeparture(error: NodeJS.ErrnoException): void {
  if (!departures.has(error.code ?? '')) logError(error);
}
