import {
  createServer,
  get,
  request as httpRequest,
  type IncomingHttpHeaders,
  type RequestListener,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** A real node:http server on 127.0.0.1 and an ephemeral port, for one test. */
export interface TestServer {
  server: Server;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** Cuts every connection and stops listening. */
  close(): Promise<void>;
}

export function startServer(listener: RequestListener): Promise<TestServer> {
  return listen(createServer(listener));
}

/** Starts `server` on 127.0.0.1 and an ephemeral port; closing it cuts every connection. */
export async function listen(server: Server): Promise<TestServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A response read whole by a raw `http.get`. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** GETs `url` with node's own client and reads the response to its end. */
export function fetchRaw(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** The events of a whole stream, parsed by eventsource-parser (an independent implementation). */
export function parseEvents(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const parser = createParser({
    onEvent: (event) => events.push(event),
    onError: (error) => {
      throw error;
    },
  });
  parser.feed(text);
  return events;
}

/** Resolves after `ms` of real time. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it is true, or fails after `timeout` ms with `what` in the message. */
export async function waitFor(check: () => boolean, what: string, timeout = 5000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await delay(5);
  }
}

/** A stream being read by node's own client: what has arrived so far, parsed as it arrives. */
export interface OpenStream {
  status: number;
  headers: IncomingHttpHeaders;
  /** The events parsed so far (eventsource-parser). */
  events: EventSourceMessage[];
  /** Every byte received so far, as text. */
  text: string;
  /** Resolves when the response has ended or been cut. */
  ended: Promise<void>;
  /** Cuts the connection, as a client going away does. */
  close(): void;
}

/**
 * GETs `url` (or sends `init`'s method and body) and resolves once the head has arrived; the body
 * keeps arriving into the result.
 */
export function openStream(
  url: string,
  headers: Record<string, string> = {},
  init: { method?: string; body?: string } = {},
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const { method = 'GET', body } = init;
    const request = httpRequest(url, { method, agent: false, headers }, (res) => {
      let ended!: () => void;
      const stream: OpenStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        events: [],
        text: '',
        ended: new Promise<void>((done) => (ended = done)),
        close: () => request.destroy(),
      };
      const parser = createParser({ onEvent: (event) => stream.events.push(event) });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        stream.text += chunk;
        parser.feed(chunk);
      });
      res.on('close', ended);
      res.on('error', () => undefined);
      resolve(stream);
    });
    request.on('error', reject);
    request.end(body);
  });
}
