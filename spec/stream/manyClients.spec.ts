import { expect } from 'chai';
import { get, type IncomingMessage } from 'node:http';
import { map, merge, Observable, Subject } from 'rxjs';
import { sse, type SseEvent } from 'rx-sse';
import { doors } from '../support/doors.js';
import { delay, fetchRaw, waitFor } from '../support/server.js';
import { useDoor } from '../support/stream.js';

for (const door of doors) {
  describe(`sse: many clients (${door} door)`, () => {
    const { t, serve, listen } = useDoor(door);

    it('should give each client exactly its own frames when the frames of a turn are joined', async () => {
      // Writers share the strings they join when they append the same frames in the same order;
      // here clients get overlapping, differently ordered subsets of one turn's events.
      const odd = new Subject<SseEvent>();
      const even = new Subject<SseEvent>();
      const listener = sse((ctx) => {
        switch (ctx.url.pathname) {
          case '/all':
            return merge(odd, even);
          case '/odd':
            return odd;
          case '/even':
            return even;
          default:
            return merge(even, odd.pipe(map((event) => ({ ...event, event: 'late' }))));
        }
      });
      const server = await listen(listener);
      const paths = ['/all', '/odd', '/odd', '/even', '/mixed', '/all'];
      const responses = paths.map((path) => fetchRaw(`${server.origin}${path}`));
      await waitFor(() => listener.stats.open === paths.length, 'every stream');
      for (let turn = 0; turn < 3; turn++) {
        for (let i = 1; i <= 6; i++) (i % 2 === 1 ? odd : even).next({ data: `${turn}.${i}` });
        await delay(5);
      }
      odd.complete();
      even.complete();
      const bodies = (await Promise.all(responses)).map((res) => res.body);
      const frames = (filter: (i: number) => boolean, name?: (i: number) => string) =>
        [0, 1, 2]
          .flatMap((turn) =>
            [1, 2, 3, 4, 5, 6]
              .filter(filter)
              .map((i) => `${name?.(i) ?? ''}data: ${turn}.${i}\n\n`),
          )
          .join('');
      const all = frames(() => true);
      const odds = frames((i) => i % 2 === 1);
      const evens = frames((i) => i % 2 === 0);
      const mixed = frames(
        () => true,
        (i) => (i % 2 === 1 ? 'event: late\n' : ''),
      );
      expect(bodies).to.deep.equal([all, odds, odds, evens, mixed, all]);
    });

    it('should tear down every subscription when hundreds of clients connect and leave', async function () {
      this.timeout(30_000);
      let open = 0;
      let opened = 0;
      const origin = await serve(
        () =>
          new Observable<SseEvent>((subscriber) => {
            open++;
            opened++;
            subscriber.next({ data: 'hi' });
            return () => open--;
          }),
      );
      const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
      const timersBefore = timers();
      const clients = 400;
      for (let batch = 0; batch < clients / 100; batch++) {
        const responses = await Promise.all(
          Array.from({ length: 100 }, () => openFirstChunk(origin)),
        );
        for (const res of responses) res.destroy();
      }
      await waitFor(() => open === 0, 'every subscription to end', 10_000);
      expect(opened).to.equal(clients);
      // Every stream had a heartbeat timer; none may outlive its connection.
      expect(timers()).to.be.at.most(timersBefore);
      const connections = await new Promise<number>((resolve, reject) => {
        t.server!.server.getConnections((error, count) => (error ? reject(error) : resolve(count)));
      });
      expect(connections).to.equal(0);
      expect(t.logged.called).to.equal(false);
    });

    function openFirstChunk(url: string): Promise<IncomingMessage> {
      return new Promise((resolve, reject) => {
        get(url, { agent: false }, (res) => res.once('data', () => resolve(res))).on(
          'error',
          reject,
        );
      });
    }
  });
}
