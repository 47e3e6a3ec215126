// One load process of bench/cluster.ts: raw TCP connections (from one loopback source address,
// so that the ephemeral ports of one address are not shared between processes) that read SSE
// streams as they come — the HTTP head, chunked framing, frames — and check that each connection
// receives every event, in order, exactly once. Any loss, duplicate, reorder, unexpected event or
// error fails the process's run, at once, with a message saying which connection and what.
//
// IPC in (each answered with a message of the same `cmd`):
//   { cmd: 'open', targets: [{ port, count }], localAddress, batch }  opens the connections
//     (GET /events), `batch` at a time, each batch once every connection in it has its 200 head;
//     → the number open
//   { cmd: 'expect', count, reset }  each connection must get events 0 … count − 1 (their data:
//     `<n> <ms since the epoch when sent> …`), from 0 again with `reset`, else going on from where
//     it is; a `complete` message follows once all have
//   { cmd: 'answers', answers: [{ post, resume }], tokens, rate, switchAt, batch }  POSTs one
//     answer per entry to port `post` (`batch` at a time); an answer with a `resume` port is
//     dropped after `switchAt` tokens and read on at `/answers/<id>` there, with its Last-Event-ID;
//     each must give tokens 0 … tokens − 1 then `done`; a `complete` message follows once all have
//   { cmd: 'mark' }  starts the CPU, wall time, latency, heartbeat and gap counts (the gap window)
//   { cmd: 'report' }  → a LoadReport (bench/clusterStats.ts)
// IPC out, unasked: { cmd: 'complete' }; { cmd: 'failed', value: message } (then it exits).
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Histogram, type LoadReport } from './clusterStats.js';

process.on('disconnect', () => process.exit(0));

const now = (): number => performance.timeOrigin + performance.now();

/** Thrown by {@link fail}: the run is over, and the benchmark has been told why. */
class Failed extends Error {}
let failed = false;

/** Fails the run: tells the benchmark why (once), exits, and throws out of the caller. */
function fail(message: string): never {
  if (!failed) {
    failed = true;
    process.send?.({ cmd: 'failed', value: message }, () => process.exit(1));
    setTimeout(() => process.exit(1), 2000).unref();
  }
  throw new Failed(message);
}
process.on('uncaughtException', (error) => {
  if (error instanceof Failed) return;
  try {
    fail(`bench/clusterLoad: ${error.stack ?? String(error)}`);
  } catch {
    // told
  }
});

/** One SSE frame as it came: its fields (the last of each), or a comment alone. */
interface Frame {
  id: string | undefined;
  event: string | undefined;
  data: string | undefined;
  /** Only comment lines (a heartbeat). */
  comment: boolean;
}

function parseFrame(text: string): Frame {
  const frame: Frame = { id: undefined, event: undefined, data: undefined, comment: true };
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) continue;
    frame.comment = false;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'id') frame.id = value;
    else if (field === 'event') frame.event = value;
    else if (field === 'data')
      frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
    else if (field !== 'retry') fail(`unexpected field ${JSON.stringify(line)}`);
  }
  return frame;
}

/**
 * Reads one HTTP response of SSE: the head (status 200, or the connection fails), then the body,
 * chunked or not, frame by frame. `onFrame` gets each frame; `onHead` the head's headers.
 */
class Reader {
  #head = true;
  #chunked = false;
  /** Bytes left in the current chunk; −1 while reading a chunk's size line, −2 its closing CRLF. */
  #left = -1;
  #raw = '';
  #body = '';
  /** When the last bytes came, ms since the epoch. */
  lastAt = 0;
  readonly label: string;
  readonly onHead: (headers: Map<string, string>) => void;
  readonly onFrame: (frame: Frame) => void;
  constructor(
    label: string,
    onHead: (headers: Map<string, string>) => void,
    onFrame: (frame: Frame) => void,
  ) {
    this.label = label;
    this.onHead = onHead;
    this.onFrame = onFrame;
  }

  /** Set when its connection is dropped: frames already read but not handled are dropped too. */
  dropped = false;

  feed(chunk: string): void {
    this.lastAt = now();
    let raw = this.#raw + chunk;
    if (this.#head) {
      const end = raw.indexOf('\r\n\r\n');
      if (end === -1) {
        this.#raw = raw;
        return;
      }
      const [status = '', ...lines] = raw.slice(0, end).split('\r\n');
      if (!status.startsWith('HTTP/1.1 200 ')) fail(`${this.label}: ${status}`);
      const headers = new Map<string, string>();
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
      }
      this.#chunked = headers.get('transfer-encoding') === 'chunked';
      this.#head = false;
      raw = raw.slice(end + 4);
      this.onHead(headers);
    }
    if (!this.#chunked) {
      this.#raw = '';
      this.#frames(raw);
      return;
    }
    let at = 0;
    let payload = '';
    while (at < raw.length) {
      if (this.#left === -1) {
        const eol = raw.indexOf('\r\n', at);
        if (eol === -1) break;
        const size = Number.parseInt(raw.slice(at, eol), 16);
        if (!(size >= 0))
          fail(`${this.label}: bad chunk size ${JSON.stringify(raw.slice(at, eol))}`);
        at = eol + 2;
        // The last chunk (the response ended): the connection's owner decides if that was due.
        this.#left = size === 0 ? -3 : size;
      } else if (this.#left === -2) {
        if (raw.length - at < 2) break;
        if (raw.slice(at, at + 2) !== '\r\n') fail(`${this.label}: a chunk without its CRLF`);
        at += 2;
        this.#left = -1;
      } else if (this.#left === -3) {
        at = raw.length;
      } else {
        const take = Math.min(this.#left, raw.length - at);
        payload += raw.slice(at, at + take);
        at += take;
        this.#left -= take;
        if (this.#left === 0) this.#left = -2;
      }
    }
    this.#raw = raw.slice(at);
    this.#frames(payload);
  }

  #frames(text: string): void {
    const body = this.#body + text;
    let start = 0;
    let end = body.indexOf('\n\n');
    while (end !== -1 && !this.dropped) {
      this.onFrame(parseFrame(body.slice(start, end)));
      start = end + 2;
      end = body.indexOf('\n\n', start);
    }
    this.#body = body.slice(start);
  }
}

// ---------------------------------------------------------------------------------------------
// What every connection adds to, since the last mark

let latency = new Histogram();
let heartbeats = 0;
let received = 0;
let replayed = 0;
let cpuAtMark = process.cpuUsage();
let wallAtMark = now();
let markedAt = now();
const sockets: Connection[] = [];
/** Per connection (channel streams only): the longest silence since the mark, and when it began. */
const readers: Reader[] = [];
let gaps: number[] = [];
/** When each connection last received a frame (ms since the epoch). */
let readerLast = new Float64Array(0);

/** A connection, whichever socket it ended up on. */
interface Connection {
  destroy(): void;
}

/**
 * The source ports of this process's address, handed out in turn: binding a given port is
 * immediate, where a bind to port 0 (what `localAddress` alone does) makes the kernel search the
 * range for a free one, longer with every port in use — with 14,000 bound, ~3 ms a connection.
 */
const ports = { low: 32_768, high: 60_999, next: 32_768 };

function nextPort(): number {
  const port = ports.next;
  ports.next = port >= ports.high ? ports.low : port + 1;
  return port;
}

/**
 * Connects from `localAddress` to 127.0.0.1:`port`, sends `request` and hands what comes to
 * `reader`. A source port still held (by a connection of an earlier run, in TIME_WAIT, or another
 * program's) is skipped for the next one.
 */
function open(
  port: number,
  localAddress: string,
  request: string,
  reader: Reader,
  onClose: () => void = () => fail(`${reader.label}: the server closed the stream`),
): Connection {
  let socket: Socket | undefined;
  let gone = false;
  const attempt = (tries: number): void => {
    const current = connect({ port, host: '127.0.0.1', localAddress, localPort: nextPort() });
    socket = current;
    let connected = false;
    current.setEncoding('latin1');
    current.once('connect', () => {
      connected = true;
      current.write(request);
    });
    current.on('data', (chunk: string) => {
      if (!failed) reader.feed(chunk);
    });
    current.on('error', (error: NodeJS.ErrnoException) => {
      const taken = error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL';
      if (!connected && taken && tries < 1000 && !gone) {
        current.destroy();
        attempt(tries + 1);
        return;
      }
      fail(`${reader.label} (from ${localAddress}): ${error.message}`);
    });
    current.on('end', onClose);
  };
  attempt(0);
  const connection = {
    destroy: () => {
      gone = true;
      socket?.destroy();
    },
  };
  sockets.push(connection);
  return connection;
}

// ---------------------------------------------------------------------------------------------
// Channel streams: GET /events on each target

let expected = 0;
/** Answers read to their end. */
let answered = 0;
let next = new Int32Array(0);
let complete = 0;

async function openStreams(
  targets: { port: number; count: number }[],
  localAddress: string,
  batch: number,
): Promise<number> {
  // Round robin over the targets, so that every batch spreads over every server.
  const order: number[] = [];
  const left = targets.map((target) => target.count);
  for (let more = true; more;) {
    more = false;
    targets.forEach((target, i) => {
      if ((left[i] ?? 0) > 0) {
        order.push(target.port);
        left[i] = (left[i] ?? 0) - 1;
        more = true;
      }
    });
  }
  next = new Int32Array(order.length);
  readerLast = new Float64Array(order.length);
  gaps = Array.from({ length: order.length }, () => 0);
  for (let from = 0; from < order.length; from += batch) {
    const heads: Promise<void>[] = [];
    for (let c = from; c < Math.min(order.length, from + batch); c++) {
      heads.push(
        new Promise<void>((resolve) => {
          const reader = new Reader(
            `${localAddress} connection ${c}`,
            () => {
              resolve();
            },
            (frame) => {
              onEvent(c, frame);
            },
          );
          readers[c] = reader;
          open(
            order[c] ?? 0,
            localAddress,
            'GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n',
            reader,
          );
        }),
      );
    }
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => {
        reject(new Error('60 s without a head'));
      }, 60_000).unref(),
    );
    await Promise.race([Promise.all(heads), timeout]).catch((error: unknown) =>
      fail(`${localAddress}: opening connections ${from}…: ${String(error)}`),
    );
  }
  return order.length;
}

function onEvent(c: number, frame: Frame): void {
  const reader = readers[c];
  if (reader !== undefined) {
    const gap = reader.lastAt - (readerLast[c] ?? markedAt);
    if (gap > (gaps[c] ?? 0)) gaps[c] = gap;
    readerLast[c] = reader.lastAt;
  }
  if (frame.comment) {
    heartbeats++;
    return;
  }
  if (frame.event !== undefined) fail(`connection ${c}: an event ${frame.event}: ${frame.data}`);
  const data = frame.data ?? '';
  const space = data.indexOf(' ');
  const n = Number(data.slice(0, space));
  if (n !== next[c]) {
    fail(`connection ${c} got event ${n} when it expected ${next[c] ?? '?'} (of ${expected})`);
  }
  next[c] = n + 1;
  received++;
  const close = data.indexOf(' ', space + 1);
  latency.add(
    (reader?.lastAt ?? now()) - Number(data.slice(space + 1, close === -1 ? undefined : close)),
  );
  if (n + 1 === expected && ++complete === next.length) process.send?.({ cmd: 'complete' });
  if (n >= expected) fail(`connection ${c} got event ${n}, past the ${expected} expected`);
}

// ---------------------------------------------------------------------------------------------
// Resumable answers: POST, read, maybe drop and resume elsewhere

interface AnswerPlan {
  post: number;
  /** The port to resume on after `switchAt` tokens, or 0 to read it all from the POST. */
  resume: number;
}

async function runAnswers(
  plans: AnswerPlan[],
  tokens: number,
  rate: number,
  switchAt: number,
  batch: number,
  localAddress: string,
): Promise<void> {
  const body = JSON.stringify({ tokens, rate });
  const answeredBefore = answered;
  const start = (a: number, plan: AnswerPlan): Promise<void> =>
    new Promise<void>((started) => {
      let location = '';
      let nextToken = 0;
      let requestedAt = 0;
      let resumed = false;
      const label = (): string => `answer ${a} (${resumed ? 'resumed' : 'POST'})`;
      const onFrame = (socket: () => Connection | undefined) => (frame: Frame) => {
        if (frame.comment) return;
        const n = Number(frame.id);
        if (frame.event === 'done') {
          if (n !== tokens || nextToken !== tokens) {
            fail(`${label()}: done (id ${frame.id}) after ${nextToken} of ${tokens} tokens`);
          }
          socket()?.destroy();
          if (++answered === plans.length + answeredBefore) process.send?.({ cmd: 'complete' });
          return;
        }
        if (frame.event !== 'token') fail(`${label()}: an event ${frame.event}: ${frame.data}`);
        const data = frame.data ?? '';
        const space = data.indexOf(' ');
        const seq = Number(data.slice(0, space));
        if (n !== nextToken || seq !== nextToken) {
          fail(`${label()}: token ${frame.id} (data ${seq}) when it expected ${nextToken}`);
        }
        nextToken++;
        received++;
        const made = Number(data.slice(space + 1));
        // A token made before the resuming GET was sent came from Redis's history, not live.
        if (made < requestedAt) replayed++;
        else latency.add(now() - made);
        if (plan.resume !== 0 && !resumed && nextToken === switchAt) {
          resumed = true;
          // As a client that goes: what came after this token, in the same read, is not seen.
          postReader.dropped = true;
          posted?.destroy();
          requestedAt = now();
          const reader: Reader = new Reader(
            label(),
            () => undefined,
            onFrame(() => getter),
          );
          const getter = open(
            plan.resume,
            localAddress,
            `GET ${location} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nLast-Event-ID: ${frame.id ?? ''}\r\n\r\n`,
            reader,
            () => undefined,
          );
        }
      };
      const postReader = new Reader(
        label(),
        (headers) => {
          location = headers.get('location') ?? fail(`${label()}: no Location`);
          started();
        },
        onFrame(() => posted),
      );
      requestedAt = now();
      const posted: Connection | undefined = open(
        plan.post,
        localAddress,
        `POST /answers HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
        postReader,
        () => undefined,
      );
    });
  for (let from = 0; from < plans.length; from += batch) {
    await Promise.all(plans.slice(from, from + batch).map((plan, i) => start(from + i, plan)));
  }
}

// ---------------------------------------------------------------------------------------------

interface Command {
  cmd: string;
  /** The ephemeral port range, [low, high]. */
  ports?: [number, number];
  targets: { port: number; count: number }[];
  localAddress: string;
  batch: number;
  count: number;
  reset?: boolean;
  answers: AnswerPlan[];
  tokens: number;
  rate: number;
  switchAt: number;
}

process.on('message', (message: Command) => {
  const reply = (value: unknown): void => {
    process.send?.({ cmd: message.cmd, value });
  };
  if (message.ports !== undefined) {
    [ports.low, ports.high] = message.ports;
    ports.next = ports.low;
  }
  switch (message.cmd) {
    case 'open':
      void openStreams(message.targets, message.localAddress, message.batch).then(reply);
      return;
    case 'expect':
      // Events 0 … count − 1 in all: after a warm-up, the connections go on where they are.
      expected = message.count;
      if (message.reset === true) next.fill(0);
      complete = next.filter((n) => n >= expected).length;
      reply(true);
      return;
    case 'answers':
      // Answered at once: `complete` follows when every answer is read.
      reply(true);
      void runAnswers(
        message.answers,
        message.tokens,
        message.rate,
        message.switchAt,
        message.batch,
        message.localAddress,
      );
      return;
    case 'mark':
      latency = new Histogram();
      heartbeats = 0;
      received = 0;
      replayed = 0;
      cpuAtMark = process.cpuUsage();
      wallAtMark = now();
      markedAt = now();
      readerLast.fill(markedAt);
      gaps.fill(0);
      reply(true);
      return;
    case 'report': {
      const at = now();
      const { user, system } = process.cpuUsage(cpuAtMark);
      const report: LoadReport = {
        complete: complete + answered,
        received,
        latency: latency.toJSON(),
        // The silence still running at the end counts too.
        gaps: gaps.map((gap, c) => Math.max(gap, at - (readerLast[c] ?? at))),
        heartbeats,
        replayed,
        cpuMs: (user + system) / 1000,
        wallMs: at - wallAtMark,
      };
      reply(report);
      return;
    }
    case 'close':
      for (const socket of sockets) socket.destroy();
      reply(true);
      return;
  }
});
process.send?.({ cmd: 'ready', value: process.pid });
