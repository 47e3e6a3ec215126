import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { get, type IncomingHttpHeaders } from 'node:http';
import { createGunzip } from 'node:zlib';
import { EventSource } from 'eventsource';
import {
  concat,
  finalize,
  firstValueFrom,
  map,
  NEVER,
  of,
  Subject,
  take,
  timer,
  toArray,
} from 'rxjs';
import { sse, type SseEvent, type SseOptions } from 'rx-sse';
import { fromSse } from 'rx-sse/client';
import { parseEvents, startServer, waitFor, type TestServer } from './support/server.js';

/** A stream read raw: the bytes as they came, and the text gunzipped as it comes. */
interface Compressed {
  headers: IncomingHttpHeaders;
  raw: () => number;
  text: () => string;
  ended: Promise<void>;
  close(): void;
}

function openCompressed(url: string, acceptEncoding: string): Promise<Compressed> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false, headers: { 'Accept-Encoding': acceptEncoding } });
    request.on('error', reject);
    request.on('response', (res) => {
      let rawBytes = 0;
      let text = '';
      const gzipped = res.headers['content-encoding'] === 'gzip';
      const body = gzipped ? res.pipe(createGunzip()) : res;
      res.on('data', (chunk: Buffer) => (rawBytes += chunk.length));
      body.setEncoding('utf8');
      body.on('data', (chunk: string) => (text += chunk));
      body.on('error', () => undefined);
      // Over when everything has been decompressed (or the body failed).
      const ended = new Promise<void>((done) => body.on('close', done));
      resolve({
        headers: res.headers,
        raw: () => rawBytes,
        text: () => text,
        ended,
        close: () => request.destroy(),
      });
    });
  });
}

describe('gzip (options.compress)', function () {
  let server: TestServer | undefined;
  afterEach(async function () {
    await server?.close();
    server = undefined;
  });

  async function serve(source: () => import('rxjs').Observable<SseEvent>, options: SseOptions) {
    const listener = sse(source, { heartbeat: false, compress: true, ...options });
    server = await startServer(listener);
    return { listener, origin: server.origin };
  }

  it('compresses for a client that accepts gzip, each event readable as soon as it is sent', async function () {
    const events = new Subject<SseEvent>();
    const { origin } = await serve(() => events, {});
    const stream = await openCompressed(origin, 'br;q=1, gzip;q=0.8');
    expect(stream.headers['content-encoding']).to.equal('gzip');
    expect(stream.headers.vary).to.equal('Accept-Encoding');
    expect(stream.headers).not.to.have.property('content-length');
    const record = { user: 'ada', text: 'the same words again and again', tags: ['a', 'b'] };
    for (let i = 0; i < 3; i++) {
      events.next({ id: i, data: record });
      // Nothing is held back in the compressor: this event decodes before the next is sent.
      await waitFor(() => parseEvents(stream.text()).length === i + 1, `event ${i} decoded`);
    }
    for (let i = 3; i < 200; i++) events.next({ id: i, data: record });
    events.complete();
    await stream.ended;
    const received = parseEvents(stream.text());
    expect(received.map((e) => e.id)).to.deep.equal(Array.from({ length: 200 }, (_, i) => `${i}`));
    expect(received.every((e) => e.data === JSON.stringify(record))).to.equal(true);
    // Repetitive JSON shrinks well: a tenth of the text or less.
    expect(stream.raw()).to.be.below(stream.text().length / 10);
  });

  it('sends plain text to a client that does not accept gzip', async function () {
    const { origin } = await serve(() => NEVER, {});
    for (const accept of ['', 'br', 'gzip;q=0', 'identity', '*;q=1, gzip;q=0']) {
      const stream = await openCompressed(origin, accept);
      expect(stream.headers, accept).not.to.have.property('content-encoding');
      expect(stream.headers.vary).to.equal('Accept-Encoding');
      stream.close();
    }
    for (const accept of ['*', 'GZIP', 'deflate, x-gzip', 'gzip;q=0.001', 'x-gzip;q=0, gzip']) {
      const stream = await openCompressed(origin, accept);
      expect(stream.headers['content-encoding'], accept).to.equal('gzip');
      stream.close();
    }
  });

  it('is read by clients that decompress: eventsource and fromSse', async function () {
    const seen: (string | string[] | undefined)[] = [];
    const counter = sse(
      (ctx) => {
        seen.push(ctx.req?.headers['accept-encoding']);
        const first = Number(ctx.lastEventId ?? -1) + 1;
        const events = new Subject<SseEvent>();
        setTimeout(() => {
          for (let n = first; n < first + 3; n++) events.next({ id: n, data: `n${n}` });
          events.complete();
        }, 5);
        return events;
      },
      { compress: true, retry: 10 },
    );
    server = await startServer(counter);
    const source = new EventSource(`${server.origin}/`);
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      source.onmessage = (event) => {
        got.push(event.data as string);
        if (got.length === 6) resolve();
      };
      setTimeout(() => reject(new Error(`only ${got.join(',')}`)), 5000);
    });
    source.close();
    expect(got).to.deep.equal(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    const messages = await firstValueFrom(fromSse(`${server.origin}/`).pipe(take(4), toArray()));
    expect(messages.map((m) => m.data)).to.deep.equal(['n0', 'n1', 'n2', 'n3']);
    // Both asked for gzip, so both streams were compressed.
    expect(seen.length).to.be.at.least(4);
    expect(seen.every((accept) => /gzip/.test(String(accept)))).to.equal(true);
  });

  it('tears down and frees the compressor when the client leaves', async function () {
    let torn = 0;
    const { listener, origin } = await serve(
      () => new Subject<SseEvent>().pipe(finalize(() => torn++)),
      {},
    );
    const stream = await openCompressed(origin, 'gzip');
    await waitFor(() => listener.stats.open === 1, 'the stream open');
    stream.close();
    await waitFor(() => torn === 1, 'the subscription torn down');
    expect(listener.stats.open).to.equal(0);
  });

  it('keeps the Vary an earlier middleware set, adding Accept-Encoding to it', async function () {
    const listener = sse(() => NEVER, { heartbeat: false, compress: true });
    server = await startServer((req, res) => {
      res.setHeader('Vary', 'Origin');
      listener(req, res);
    });
    const stream = await openCompressed(server.origin, 'gzip');
    expect(stream.headers.vary).to.equal('Origin, Accept-Encoding');
    stream.close();
  });

  it('writes what waited for the compressor to drain, once it has', async function () {
    // A burst the compressor cannot take at once (its buffer is 16 KiB): the writer waits for
    // its 'drain', listened for only then; an event that comes meanwhile goes out after it.
    const burst = Array.from({ length: 64 }, (_, i) => ({
      id: i,
      data: randomBytes(48 * 1024).toString('base64'),
    }));
    const { listener, origin } = await serve(
      () => concat(of(...burst), timer(0).pipe(map(() => ({ id: 'after', data: 'after' }))), NEVER),
      { maxBufferedBytes: 64 << 20 },
    );
    const stream = await openCompressed(origin, 'gzip');
    await waitFor(
      () => stream.text().includes('data: after\n'),
      'the event after the burst',
      10_000,
    );
    const ids = parseEvents(stream.text()).map((event) => event.id);
    expect(ids).to.deep.equal([...burst.map((event) => String(event.id)), 'after']);
    expect(listener.stats.closedSlow).to.equal(0);
    stream.close();
  });

  it('keeps the bound: a client that stops reading is cut', async function () {
    const events = new Subject<SseEvent>();
    const { listener, origin } = await serve(() => events, { maxBufferedBytes: 256 * 1024 });
    const stream = await new Promise<import('node:http').IncomingMessage>((resolve) => {
      get(origin, { agent: false, headers: { 'Accept-Encoding': 'gzip' } }, resolve);
    });
    stream.pause();
    stream.socket.pause();
    expect(stream.headers['content-encoding']).to.equal('gzip');
    // Random hex does not compress much: the buffers fill.
    for (let i = 0; i < 4000 && listener.stats.closedSlow === 0; i++) {
      events.next({ data: randomBytes(8 * 1024).toString('hex') });
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(listener.stats.closedSlow).to.equal(1);
    stream.destroy();
  });

  it('ends a compressed stream cleanly on shutdown, with the last event', async function () {
    const { listener, origin } = await serve(() => NEVER, {});
    const stream = await openCompressed(origin, 'gzip');
    await waitFor(() => listener.stats.open === 1, 'the stream open');
    await listener.close({ lastEvent: { event: 'bye', data: 'later' } });
    await stream.ended;
    expect(parseEvents(stream.text()).map((e) => [e.event, e.data])).to.deep.equal([
      ['bye', 'later'],
    ]);
  });

  it('refuses bad compress options, naming them', function () {
    expect(() => sse(() => NEVER, { compress: 'gzip' as never })).to.throw(
      TypeError,
      'options.compress must be true, false or',
    );
    expect(() => sse(() => NEVER, { compress: { level: 10 } })).to.throw(
      TypeError,
      'options.compress.level must be an integer from 1 to 9',
    );
    expect(() => sse(() => NEVER, { compress: { windowBits: 8 } })).to.throw(
      TypeError,
      'options.compress.windowBits',
    );
    expect(() => sse(() => NEVER, { compress: { strategy: 1 } as never })).to.throw(
      TypeError,
      'unknown option options.compress.strategy',
    );
  });
});
