import { expect } from 'chai';
import { VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { LiveStreams, type LiveStream } from '../../src/engine/liveStreams.js';

// The heartbeat's sweep on a clock where each sweep takes time, as 19,000 streams' heartbeats
// do: sweeps stay a quarter of the period apart on the clock, so an idle stream's heartbeats
// stay a period apart, instead of drifting by four sweeps' duration every period.

/** A stream that only records when it was swept, each sweep costing `cost` ms of the clock. */
function sweptStream(
  scheduler: VirtualTimeScheduler,
  cost: () => number,
): LiveStream & {
  sweeps: number[];
} {
  const sweeps: number[] = [];
  return {
    sweeps,
    tick() {
      sweeps.push(scheduler.now());
      scheduler.frame += cost();
    },
    shutdown() {
      throw new Error('not in this spec');
    },
    settled() {
      throw new Error('not in this spec');
    },
    destroy() {
      throw new Error('not in this spec');
    },
  };
}

describe('the heartbeat sweep', function () {
  it('stays a quarter of the period apart on the clock when each sweep takes time', function () {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 2100);
    const live = new LiveStreams(1000, scheduler);
    const stream = sweptStream(scheduler, () => 30);
    live.add(stream);
    scheduler.flush();
    expect(stream.sweeps).to.deep.equal([250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
    live.delete(stream);
  });

  it('starts over from the clock after a sweep longer than a quarter of the period', function () {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 2000);
    const live = new LiveStreams(1000, scheduler);
    // The second sweep stalls for 600 ms: the sweeps due meanwhile are not run back to back.
    let sweep = 0;
    const stream = sweptStream(scheduler, () => (++sweep === 2 ? 600 : 0));
    live.add(stream);
    scheduler.flush();
    expect(stream.sweeps).to.deep.equal([250, 500, 1350, 1600, 1850]);
    live.delete(stream);
  });

  it('stays a quarter of the period away when the clock steps back', function () {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 1500);
    const live = new LiveStreams(1000, scheduler);
    // During the first sweep the clock steps 10 s back (an NTP step): the next is 250 ms off.
    let behind = 0;
    const stream = sweptStream(scheduler, () => {
      behind = 10_000;
      return 0;
    });
    const clock = scheduler.now.bind(scheduler);
    scheduler.now = () => clock() - behind;
    live.add(stream);
    scheduler.flush();
    expect(stream.sweeps.slice(0, 4)).to.deep.equal([250, -9500, -9250, -9000]);
    live.delete(stream);
  });

  it('stops once the last stream is gone', function () {
    const scheduler = new VirtualTimeScheduler(VirtualAction, 10_000);
    const live = new LiveStreams(1000, scheduler);
    const stream = sweptStream(scheduler, () => 0);
    live.add(stream);
    live.delete(stream);
    scheduler.flush();
    expect(stream.sweeps).to.deep.equal([]);
    expect(scheduler.actions).to.have.length(0);
  });
});
