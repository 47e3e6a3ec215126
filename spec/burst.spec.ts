import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { createParser } from 'eventsource-parser';
import type { SseStats } from 'rx-sse';
import { startChild, type Child } from './support/child.js';
import { delay, waitFor } from './support/server.js';

const mb = 1024 * 1024;
const bound = mb;
// 300,000 frames of ~220 bytes (`id: 12345\ndata: pp…p\n\n`): 66 MB due in one turn, 63 times the
// bound.
const count = 300_000;
const size = 200;
/** How many of the burst's first frames fit under the bound, with nothing else owed. */
const fits = (() => {
  const bytesOf = (id: number) => `id: ${id}\ndata: \n\n`.length + size;
  let n = 0;
  for (let bytes = bytesOf(0); bytes <= bound; bytes += bytesOf(n)) n++;
  return n;
})();
// Held beyond the bound during the burst: the frames' string headers, the encoder's scratch, the
// source's own objects. Without a bound within the turn, the whole burst is held.
const slack = 2 * mb;

interface Burst {
  emitted: number;
  peak: number;
  logged: string[];
}

/** A client of the child's server that reads every event; resolves once the head is in. */
async function reader(port: number): Promise<{ data: string[]; res: IncomingMessage }> {
  const data: string[] = [];
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    get({ port, host: '127.0.0.1', path: '/', agent: false }, resolve).on('error', reject);
  });
  const parser = createParser({ onEvent: (event) => data.push(event.data) });
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => parser.feed(chunk));
  res.on('error', () => undefined);
  return { data, res };
}

/** What the child's fetch-door client has read, polled until `done` says it is what is waited for. */
async function bodyOf(child: Child, done: (body: Body) => boolean, what: string): Promise<Body> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const body = await child.ask<Body>({ cmd: 'received' });
    if (done(body)) return body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

interface Body {
  events: number;
  last: string;
  ended: boolean;
  error: string;
}

describe('maxBufferedBytes within one turn', function () {
  this.timeout(60_000);
  let child: Child | undefined;
  afterEach(async () => {
    await child?.stop();
    child = undefined;
  });

  async function burst(): Promise<Burst> {
    const result = await child!.ask<Burst>({ cmd: 'burst', count, size });
    console.log(
      `      ${result.emitted} events emitted; the most held during the turn: ${(result.peak / mb).toFixed(1)} MiB`,
    );
    return result;
  }

  describe('sse()', function () {
    it("should cut the client as soon as a turn's burst passes the bound under 'close', and stop pulling the source", async () => {
      child = await startChild('burstServer.ts', { maxBufferedBytes: bound });
      const client = await reader(child.port);
      const closed = new Promise((resolve) => client.res.once('close', resolve));
      const { emitted, peak, logged } = await burst();
      await closed;
      const stats = await child.ask<SseStats>({ cmd: 'stats' });
      expect(stats).to.include({ closedSlow: 1, open: 0, events: 0 });
      // Cut at the first frame past the bound: the rest of the burst was never emitted.
      expect(emitted).to.equal(fits + 1);
      expect(logged).to.have.length(1);
      expect(logged[0]).to.match(/more than maxBufferedBytes \(1048576\) in one turn/);
      expect(peak, `held ${(peak / mb).toFixed(1)} MiB`).to.be.below(bound + slack);
      expect(client.data).to.deep.equal([]);
      expect(await child.ask<number>({ cmd: 'connections' })).to.equal(0);
    });

    it("should skip a turn's events past the bound under 'drop', counted, and deliver what follows", async () => {
      child = await startChild('burstServer.ts', {
        maxBufferedBytes: bound,
        onSlowClient: 'drop',
      });
      const client = await reader(child.port);
      const { emitted, peak, logged } = await burst();
      expect(emitted).to.equal(count);
      expect(peak, `held ${(peak / mb).toFixed(1)} MiB`).to.be.below(bound + slack);
      expect(logged).to.have.length(1);
      await child.ask({ cmd: 'event', data: 'after' });
      await waitFor(() => client.data.at(-1) === 'after', 'the event after the burst', 10_000);
      const stats = await child.ask<SseStats>({ cmd: 'stats' });
      // What fitted under the bound went out; from there on the turn's events were skipped.
      const sent = client.data.length - 1;
      expect(sent).to.equal(fits);
      expect(stats).to.include({ dropped: count - sent, events: sent + 1, closedSlow: 0, open: 1 });
      client.res.destroy();
    });
  });

  describe('toResponse()', function () {
    it("should error the body as soon as a turn's burst passes the bound under 'close', and stop pulling the source", async () => {
      child = await startChild('burstServer.ts', { maxBufferedBytes: bound });
      await child.ask({ cmd: 'read' });
      const { emitted, peak } = await burst();
      const body = await bodyOf(child, (read) => read.error !== '', 'the body to error');
      expect(body.error).to.contain(`maxBufferedBytes (${bound})`);
      expect(body.events).to.equal(0);
      expect(emitted).to.equal(fits + 1);
      expect(peak, `held ${(peak / mb).toFixed(1)} MiB`).to.be.below(bound + slack);
    });

    it("should skip a turn's events past the bound under 'drop', and deliver what follows", async () => {
      child = await startChild('burstServer.ts', {
        maxBufferedBytes: bound,
        onSlowClient: 'drop',
      });
      await child.ask({ cmd: 'read' });
      const { emitted, peak } = await burst();
      expect(emitted).to.equal(count);
      expect(peak, `held ${(peak / mb).toFixed(1)} MiB`).to.be.below(bound + slack);
      await child.ask({ cmd: 'event', data: 'after' });
      const body = await bodyOf(
        child,
        (read) => read.last === 'after',
        'the event after the burst',
      );
      expect(body.events - 1).to.equal(fits);
    });
  });
});
