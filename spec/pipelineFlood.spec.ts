import { expect } from 'chai';
import { createConnection, type Socket } from 'node:net';
import { startChild, type Child } from './support/child.js';
import { delay } from './support/server.js';

const mb = 1024 * 1024;
// 20,000 GETs of ~30 bytes (0.6 MB) in 4 writes: one client flooding behind a stream that never ends.
const count = 20_000;
const writes = 4;

interface Measure {
  /** 'request' events node emitted: the requests it parsed. */
  requests: number;
  /** Handler calls. */
  calls: number;
  /** Connections closed on the server's side. */
  closed: number;
  /** Held after a full GC beyond the baseline, in bytes. */
  growth: number;
}

/** A raw client that pipelines `count` GETs on one connection behind the first. */
async function flood(port: number): Promise<{ socket: Socket; closed: () => boolean }> {
  const socket = createConnection(port, '127.0.0.1');
  let closed = false;
  socket.on('error', () => undefined);
  // It reads (and drops) what comes: a socket that never reads never sees the server's FIN.
  socket.resume();
  socket.once('close', () => (closed = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  const perWrite = count / writes;
  for (let w = 0; w < writes; w++) {
    const from = w * perWrite;
    let text = '';
    for (let i = from; i < from + perWrite; i++) text += `GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`;
    socket.write(text);
  }
  return { socket, closed: () => closed };
}

describe('sse with a flood of pipelined requests', function () {
  this.timeout(60_000);
  let child: Child | undefined;
  let client: Socket | undefined;
  afterEach(async () => {
    client?.destroy();
    client = undefined;
    await child?.stop();
    child = undefined;
  });

  it('should destroy a connection past 16 waiting requests, so node stops parsing and holds nothing', async () => {
    child = await startChild('pipelineServer.ts', {});
    await child.ask({ cmd: 'baseline' });
    const { socket, closed } = await flood(child.port);
    client = socket;
    // Either the server closed the connection, or node parsed every request and kept the
    // connection: whichever comes first decides.
    let measure: Measure;
    const deadline = Date.now() + 40_000;
    for (;;) {
      measure = await child.ask<Measure>({ cmd: 'measure' });
      if (measure.closed === 1 || measure.requests === count) break;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for the close or the flood: ${JSON.stringify(measure)}, client closed: ${String(closed())}`,
        );
      }
      await delay(50);
    }
    // A connection the server destroyed is closed on the client's side too, soon after.
    const until = Date.now() + 10_000;
    while (measure.closed === 1 && !closed() && Date.now() < until) await delay(20);
    console.log(
      `      ${measure.requests} of ${count} requests parsed; held after GC: ${(measure.growth / mb).toFixed(1)} MiB`,
    );
    expect(closed(), 'the client saw the connection close').to.equal(true);
    expect(measure.calls).to.equal(1);
    // The GET that destroys the connection is parsed amid one read of the socket (64 KiB at most,
    // ~2,200 of these GETs): node finishes that read, then reads no more.
    expect(measure.requests).to.be.below(count / 4);
    expect(measure.growth, `held ${(measure.growth / mb).toFixed(1)} MiB`).to.be.below(10 * mb);
  });
});
