// The benchmark's load client: raw TCP connections that send one GET each and read the stream as
// it comes, checking that every connection receives every event, in order, exactly once.
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  /** Events each connection must receive, numbered 0 to count − 1 in their `data`. */
  count: number;
  /** Record how long each event took to arrive (its data carries the time it was sent). */
  latency?: boolean;
  /** Record each connection's longest silence: the time between two reads, in ms. */
  silence?: boolean;
  /**
   * The loopback address to connect from (default: the system's choice, 127.0.0.1). Each address
   * has its own ephemeral ports: tens of thousands of connections closed a round ago wait in
   * TIME_WAIT on theirs, and the next round, from another address, does not run out.
   */
  localAddress?: string;
}

export interface Load {
  /**
   * Resolves when every connection has received `count` events since the last {@link reset}, or
   * rejects on a gap.
   */
  readonly done: Promise<void>;
  /**
   * Throws the first failure seen on any connection since it opened — one after `done` resolved
   * included (an event past the last, a duplicate of the last), which `done` cannot report.
   */
  check(): void;
  /** Next event number each connection waits for. */
  next: Int32Array;
  /** Delivery latencies in ms (with `latency`), since the last {@link reset}. */
  readonly latencies: number[];
  /**
   * Each connection's longest silence since the last {@link reset}, in ms (with `silence`): the
   * longest time between two reads, or from the last read (or the reset) until now, if longer.
   */
  silences(): Float64Array;
  /** Bytes read from every connection since the last reset (chunked framing included). */
  readonly bytes: number;
  /**
   * Starts over: every connection waits for event 0 again, and `done`, `bytes` and `latencies`
   * count from here, for `count` more events each (the same number as before, if not given). What
   * came before (the head, a retry, a warm-up) does not count.
   */
  reset(count?: number): void;
  close(): void;
}

/**
 * Opens `clients` connections to `port`. A frame is what ends with a blank line; its number is the
 * integer after `data: ` (chunked-encoding lines between frames are ignored, as are frames with no
 * data: heartbeats, the retry preamble).
 */
export function openLoad(port: number, clients: number, options: LoadOptions): Load {
  const { latency = false, silence = false, localAddress } = options;
  // Per connection: when it was last read (0: not since the reset), and its longest gap between two.
  const lastRead = new Float64Array(silence ? clients : 0);
  const longest = new Float64Array(silence ? clients : 0);
  let resetAt = performance.now();
  let count = options.count;
  const sockets: Socket[] = [];
  const next = new Int32Array(clients);
  const latencies: number[] = [];
  let complete = 0;
  let bytes = 0;
  let settle!: { resolve: () => void; reject: (error: Error) => void };
  const arm = (): Promise<void> => {
    const promise = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
    // A failure may come before anyone awaits `done`: it is reported when they do.
    promise.catch(() => undefined);
    return promise;
  };
  let done = arm();
  // The first failure, kept: one that comes after `done` resolved (an event past the last, a
  // duplicate of it) cannot reject it, and is thrown by `check()`.
  let failure: Error | undefined;
  const fail = (error: Error): void => {
    failure ??= error;
    settle.reject(error);
  };
  let closing = false;
  for (let c = 0; c < clients; c++) {
    const socket = connect({
      port,
      host: '127.0.0.1',
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    let rest = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      const now = latency ? performance.timeOrigin + performance.now() : 0;
      if (silence) {
        const at = performance.now();
        const last = lastRead[c] ?? 0;
        if (last > 0 && at - last > (longest[c] ?? 0)) longest[c] = at - last;
        lastRead[c] = at;
      }
      bytes += chunk.length;
      const text = rest + chunk;
      let start = 0;
      let end = text.indexOf('\n\n');
      while (end !== -1) {
        // `data: 12 ...` (better-sse writes `data:12 ...`: the space after the colon is optional).
        let at = text.indexOf('data:', start);
        if (at !== -1 && at < end) {
          at += text.charCodeAt(at + 5) === 32 ? 6 : 5;
          const space = text.indexOf(' ', at);
          const stop = space === -1 || space > end ? end : space;
          const n = Number(text.slice(at, stop));
          if (n !== next[c] || n >= count) {
            const expected = (next[c] ?? 0) >= count ? `none past ${count - 1}` : next[c];
            fail(new Error(`connection ${c} got event ${n} when it expected ${expected}`));
          }
          next[c] = n + 1;
          if (latency && stop === space) {
            const close = text.indexOf(' ', space + 1);
            latencies.push(
              now - Number(text.slice(space + 1, close === -1 || close > end ? end : close)),
            );
          }
          if (n + 1 === count && ++complete === clients) settle.resolve();
        }
        start = end + 2;
        end = text.indexOf('\n\n', start);
      }
      rest = text.slice(start);
    });
    socket.on('error', (error) => {
      fail(new Error(`connection ${c}: ${error.message}`));
    });
    // The server ended a stream before it was done: a failure, not a wait for ever.
    socket.on('close', () => {
      if (!closing && (next[c] ?? 0) < count) {
        fail(new Error(`connection ${c} closed after ${next[c] ?? 0} of ${count} events`));
      }
    });
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    sockets.push(socket);
  }
  return {
    get done() {
      return done;
    },
    check() {
      if (failure !== undefined) throw failure;
    },
    next,
    latencies,
    silences() {
      const now = performance.now();
      return longest.map((gap, c) => Math.max(gap, now - ((lastRead[c] ?? 0) || resetAt)));
    },
    get bytes() {
      return bytes;
    },
    reset(events = count) {
      count = events;
      next.fill(0);
      complete = 0;
      bytes = 0;
      latencies.length = 0;
      lastRead.fill(0);
      longest.fill(0);
      resetAt = performance.now();
      done = arm();
    },
    close() {
      closing = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
