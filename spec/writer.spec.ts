import { expect } from 'chai';
import { createConnection, type Socket } from 'node:net';
import { get } from 'node:http';
import { createParser } from 'eventsource-parser';
import type { SseStats } from 'rx-sse';
import { startChild, type Child } from './support/child.js';
import { waitFor } from './support/server.js';

const mb = 1024 * 1024;
const size = 64 * 1024;
const count = 3200; // 3200 × 64 KiB = 200 MiB through the server
// The bound: ~640 ms of this stream's rate, so a healthy reader on a loaded machine does not count
// as slow, and 1/12 of what is emitted, so a server that ignored it could not pass.
const bound = 16 * mb;

/** A client that sends a GET and then never reads a byte. */
function stalledClient(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
  });
}

/** A client that reads every event and keeps the ids it saw. */
function healthyClient(port: number): { ids: number[]; closed: Promise<void> } {
  const ids: number[] = [];
  const closed = new Promise<void>((resolve, reject) => {
    get({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
      const parser = createParser({ onEvent: (event) => ids.push(Number(event.id)) });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => parser.feed(chunk));
      res.on('close', resolve);
    }).on('error', reject);
  });
  return { ids, closed };
}

describe('writer: a client that does not read', function () {
  this.timeout(120_000);
  let child: Child | undefined;
  afterEach(async () => {
    await child?.stop();
    child = undefined;
  });

  async function run(onSlowClient: 'close' | 'drop') {
    child = await startChild('broadcastServer.ts', { maxBufferedBytes: bound, onSlowClient });
    const before = await child.ask<number>({ cmd: 'memory' });
    const stalled = await stalledClient(child.port);
    const healthy = healthyClient(child.port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // 8 × 64 KiB every 20 ms, about 25 MB/s: a rate a healthy client keeps up with, even when the
    // machine is busy (at 50 MB/s an in-process reader on one loaded core fell behind).
    const started = Date.now();
    const emitted = await child.ask<number>({ cmd: 'emit', count, size, every: 20 });
    const emitting = Date.now() - started;
    await waitFor(
      () => healthy.ids.length === count,
      `the healthy client's ${count} events`,
      10_000,
    );
    const after = await child.ask<number>({ cmd: 'memory' });
    const stats = await child.ask<SseStats>({ cmd: 'stats' });
    const lag = Date.now() - started - emitting;
    console.log(
      `      ${onSlowClient}: 200 MiB emitted in ${emitting} ms; server retains ${((after - before) / mb).toFixed(1)} MiB more than before; healthy client done ${lag} ms after the last event`,
    );
    return { emitted, growth: after - before, stats, stalled, healthy, lag };
  }

  it("should cut it past maxBufferedBytes under 'close', at no cost to a healthy client", async () => {
    const { emitted, growth, stats, stalled, healthy, lag } = await run('close');
    expect(emitted).to.equal(count);
    expect(healthy.ids).to.deep.equal(Array.from({ length: count }, (_, i) => i));
    expect(stats.closedSlow).to.equal(1);
    // Cut, not merely forgotten: only the healthy client's connection is left on the server.
    expect(await child!.ask<number>({ cmd: 'connections' })).to.equal(1);
    // On time: the healthy client had everything within 3 s of the last emission (a server slowed
    // by the stalled client would be seconds behind; a loaded CI machine costs some hundreds of ms).
    expect(lag).to.be.below(3000);
    expect(stats.open).to.equal(1);
    // What the server still holds once the slow client is gone: a small constant.
    expect(growth, `retained ${(growth / mb).toFixed(1)} MiB`).to.be.below(8 * mb);
    stalled.destroy();
  });

  it("should hold at most maxBufferedBytes for it under 'drop', skipping events, while a healthy client gets them all", async () => {
    const { growth, stats, stalled, healthy, lag } = await run('drop');
    expect(healthy.ids).to.deep.equal(Array.from({ length: count }, (_, i) => i));
    expect(stats.closedSlow).to.equal(0);
    expect(lag).to.be.below(3000);
    expect(stats.open).to.equal(2);
    // The stalled client got a few MiB before its socket filled; the rest of 200 MiB was dropped.
    // Kept: what fits under the bound, plus what the kernel took before the socket filled.
    expect(stats.dropped).to.be.greaterThan(count - bound / size - 200);
    // Retained while it is still connected: its bounded backlog, one burst in node's buffer, a constant.
    expect(growth, `retained ${(growth / mb).toFixed(1)} MiB`).to.be.below(bound + 8 * mb);
    stalled.destroy();
  });
});
