import type { Sink, SinkOwner } from '../engine/sink.js';
import type { HttpHeaders } from '../types.js';
import { headerEntries, refusalResponse } from './webHeaders.js';

/**
 * The engine's {@link Sink} on a fetch runtime: a `Response` whose body is a `ReadableStream` of
 * UTF-8 bytes. {@link WebSink.response} resolves with it when the head would go out (or with a
 * refusal instead).
 *
 * The body's queue has a high-water mark of 0 bytes: a chunk stays in it only while nobody is
 * reading, so what it holds is exactly what the client is owed, and the stream's `pull` (a read
 * waiting on an empty queue) is the runtime saying "room again". `cancel` (the runtime stopped
 * reading: the client left) and the request's `signal` are the client leaving.
 */
export class WebSink implements Sink {
  /** The answer, once there is one: the stream's `200`, or a refusal. */
  readonly response: Promise<Response>;
  readonly #request: Request | undefined;
  readonly #head: [string, string][];
  readonly #refusalHeaders: (HttpHeaders | null)[];
  /** `maxBufferedBytes`, for the error of a reader cut for falling behind. */
  readonly #bound: number;
  #answer!: (response: Response) => void;
  #owner: SinkOwner | undefined;
  #body: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** End was asked while the client still had bytes to read: the body closes once it has. */
  #ending = false;
  #finished = false;
  #onSettled: (() => void)[] = [];
  readonly #onAbort = (): void => {
    this.#owner?.left();
  };

  /**
   * `head`: the stream's headers; `refusalHeaders`: what a refusal carries besides its own (the
   * listener's headers, CORS's).
   */
  constructor(
    request: Request | undefined,
    head: [string, string][],
    refusalHeaders: (HttpHeaders | null)[],
    bound: number,
  ) {
    this.#bound = bound;
    this.#request = request;
    this.#head = head;
    this.#refusalHeaders = refusalHeaders;
    this.response = new Promise((resolve) => {
      this.#answer = resolve;
    });
  }

  get gone(): boolean {
    return this.#request?.signal.aborted === true;
  }

  listen(owner: SinkOwner): void {
    this.#owner = owner;
    this.#request?.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  owed(): number {
    return Math.max(0, -(this.#body?.desiredSize ?? 0));
  }

  open(first: string, headers: HttpHeaders | undefined): boolean {
    const head = headers === undefined ? this.#head : overHead(this.#head, headers);
    if (this.#request?.method === 'HEAD') {
      this.#answer(new Response(null, { status: 200, headers: head }));
      return true;
    }
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#body = controller;
        },
        pull: () => {
          if (!this.#ending) {
            this.#owner?.drained();
            return;
          }
          this.#body?.close();
          this.#settle();
        },
        cancel: () => {
          this.#owner?.left();
          this.#settle();
        },
      },
      { highWaterMark: 0, size: (chunk) => chunk.byteLength },
    );
    this.#answer(new Response(body, { status: 200, headers: head }));
    return first === '' || this.write(first);
  }

  write(chunk: string): boolean {
    const body = this.#body;
    if (body === undefined) return true;
    body.enqueue(bytesOf(chunk));
    return (body.desiredSize ?? 0) >= 0;
  }

  end(): void {
    this.#detach();
    const body = this.#body;
    if (body === undefined || this.owed() === 0) {
      body?.close();
      this.#settle();
    } else this.#ending = true;
  }

  refuse(error: unknown): void {
    this.#detach();
    this.#answer(refusalResponse(error, ...this.#refusalHeaders));
    this.#settle();
  }

  drop(cut: boolean): void {
    this.#detach();
    const body = this.#body;
    if (cut) {
      const failure = new Error(
        `rx-sse: the reader of the body fell more than maxBufferedBytes (${this.#bound}) behind`,
      );
      // Erroring the body makes the runtime cut the connection, as node's door does; before the
      // head, the head goes out and the body fails at once.
      if (body === undefined) {
        this.#answer(
          new Response(
            new ReadableStream({
              start(controller) {
                controller.error(failure);
              },
            }),
            { status: 200, headers: this.#head },
          ),
        );
      } else body.error(failure);
    } else if (body === undefined) {
      // The client left before the head: nothing to subscribe for, no one to answer.
      this.#answer(new Response(null, { status: 204 }));
    } else {
      try {
        body.close();
      } catch {
        // Cancelled by the runtime already: nothing left to end.
      }
    }
    this.#settle();
  }

  settled(done: () => void): void {
    if (this.#finished) done();
    else this.#onSettled.push(done);
  }

  destroy(): void {
    try {
      this.#body?.error(new Error('rx-sse: the listener closed before the client read the end'));
    } catch {
      // Closed already.
    }
    this.#settle();
  }

  #detach(): void {
    this.#owner = undefined;
    this.#request?.signal.removeEventListener('abort', this.#onAbort);
  }

  #settle(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (const done of this.#onSettled) done();
    this.#onSettled = [];
  }
}

/** `headers` over the entries of `head`, a header of `headers` replacing all of `head`'s of its name. */
function overHead(head: [string, string][], headers: HttpHeaders): [string, string][] {
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
  return [...head.filter(([name]) => !names.has(name.toLowerCase())), ...headerEntries(headers)];
}

const encoder = new TextEncoder();
// The last chunk encoded, and its bytes: a channel's streams write the same joined string in one
// turn, so it is transcoded to UTF-8 once for all of them. Each body still gets its own copy (a
// memory copy, cheaper than transcoding): a reader may transfer a chunk's buffer away, which must
// not empty the chunk another body holds.
let lastChunk = '';
let lastBytes = new Uint8Array(0);

function bytesOf(chunk: string): Uint8Array {
  // A transferred buffer is detached (0 bytes): then the chunk is encoded anew.
  if (chunk === lastChunk && lastBytes.byteLength > 0) return lastBytes.slice();
  // Remembered for this turn only: a finished turn's text and bytes are not kept alive.
  if (lastChunk === '') queueMicrotask(forget);
  lastChunk = chunk;
  lastBytes = encoder.encode(chunk);
  return lastBytes.slice();
}

function forget(): void {
  lastChunk = '';
  lastBytes = new Uint8Array(0);
}
