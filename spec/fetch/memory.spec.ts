import { expect } from 'chai';
import { startChild, type Child } from '../support/child.js';
import type { FloodResult } from '../fixtures/fetchFlood.js';

const mib = 1024 * 1024;
const bound = mib;
// 1,600 events of 64 KiB, 8 a turn: 100 MiB offered in 200 turns, each turn well under the bound
// (so a reader that keeps up is never cut nor skipped).
const size = 64 * 1024;
const perTurn = 8;
const turns = 200;
const total = perTurn * turns;
/** How many of the flood's first frames (`id: N\ndata: pp…p\n\n`) fit under the bound. */
const fits = (() => {
  const bytesOf = (id: number) => `id: ${id}\ndata: \n\n`.length + size;
  let n = 0;
  for (let bytes = bytesOf(0); bytes <= bound; bytes += bytesOf(n)) n++;
  return n;
})();
// Held beyond the bound: the turn's frames on their way to the healthy reader (~0.5 MiB), its
// parser's current event, the encoder's scratch. Without a bound, the unread body holds ~100 MiB.
const slack = 8 * mib;

/** Runs the flood in a child process under `onSlowClient` and returns what it measured. */
async function flood(
  onSlowClient: 'close' | 'drop',
  maxBufferedBytes = bound,
): Promise<FloodResult> {
  let child: Child | undefined;
  try {
    child = await startChild('fetchFlood.ts', {
      maxBufferedBytes,
      onSlowClient,
      size,
      perTurn,
      turns,
    });
    return await child.ask<FloodResult>({ cmd: 'flood' });
  } finally {
    await child?.stop();
  }
}

describe('sse: a fetch body nobody reads, while 100 MiB is offered', function () {
  this.timeout(60_000);

  it("should hold under maxBufferedBytes and cut the body under 'close', the healthy stream getting every event", async () => {
    const result = await flood('close');
    expect(result.offered).to.equal(100 * mib);
    expect(result.peak, `held ${(result.peak / mib).toFixed(1)} MiB`).to.be.below(bound + slack);
    // Cut, and its source let go, in the turn of the first frame past the bound (the second turn:
    // the first turn's 0.5 MiB is unread, the second's would pass 1 MiB).
    expect(fits).to.equal(15);
    expect(result.unreadLetGoAt).to.equal(Math.floor(fits / perTurn));
    expect(result.finalized).to.deep.equal({ unread: 1, healthy: 1 });
    expect(result.unread).to.deep.equal({
      events: 0,
      inOrder: true,
      whole: true,
      ended: false,
      error: `rx-sse: the reader of the body fell more than maxBufferedBytes (${bound}) behind`,
    });
    expect(result.healthy).to.deep.equal({
      events: total,
      inOrder: true,
      whole: true,
      ended: true,
      error: '',
    });
    // Written to the unread body: its first turn's events; the second turn's were never flushed.
    expect(result.stats).to.include({
      open: 0,
      opened: 2,
      closedSlow: 1,
      dropped: 0,
      errors: 0,
      events: total + perTurn,
    });
  });

  it("should hold under maxBufferedBytes and skip events under 'drop', the healthy stream getting every event", async () => {
    const result = await flood('drop');
    expect(result.offered).to.equal(100 * mib);
    expect(result.peak, `held ${(result.peak / mib).toFixed(1)} MiB`).to.be.below(bound + slack);
    // Only the unread stream skipped: it was given the frames that fit, read at last in order;
    // every later one was skipped, since nobody ever made room.
    expect(result.stats.dropped).to.equal(total - fits);
    expect(result.unread).to.deep.equal({
      events: fits,
      inOrder: true,
      whole: true,
      ended: true,
      error: '',
    });
    expect(result.healthy).to.deep.equal({
      events: total,
      inOrder: true,
      whole: true,
      ended: true,
      error: '',
    });
    expect(result.stats).to.include({
      open: 0,
      opened: 2,
      closedSlow: 0,
      events: total + fits,
    });
    // The source of each was let go once, when the flood completed.
    expect(result.finalized).to.deep.equal({ unread: 1, healthy: 1 });
    expect(result.unreadLetGoAt).to.equal(turns);
  });
});
