import { expect } from 'chai';
import { concat, map, mergeMap, Observable, of, timer } from 'rxjs';
import { sse, type SseEvent } from 'rx-sse';
import { useFixture } from '../support/fixture.js';
import { fetchRaw, startServer, waitFor } from '../support/server.js';
import { open } from '../support/stream.js';

// node:http only: these count the calls of node's res.write.
describe('sse: writes to the response (node door only)', () => {
  const t = useFixture();

  it('should flush within the turn of the event, before any later microtask', async () => {
    let writesSeen: number | undefined;
    const writes: string[] = [];
    const listener = sse(
      () =>
        new Observable<SseEvent>((subscriber) => {
          setTimeout(() => {
            subscriber.next({ data: 'now' });
            queueMicrotask(() => (writesSeen = writes.length));
          }, 5);
        }),
      { heartbeat: false },
    );
    t.server = await startServer((req, res) => {
      const write = res.write.bind(res);
      res.write = ((...args: Parameters<typeof write>) => (
        writes.push(String(args[0])),
        write(...args)
      )) as typeof res.write;
      listener(req, res);
    });
    const res = await open(t.server.origin);
    await waitFor(() => writesSeen !== undefined, 'the event');
    res.destroy();
    expect(writesSeen).to.equal(1);
    expect(writes).to.deep.equal(['data: now\n\n']);
  });

  it('should join the events of one turn into one write', async () => {
    const burst = of({ data: 1 }, { data: 2 }, { data: 3 });
    const listener = sse(
      () => concat(timer(10).pipe(mergeMap(() => burst)), timer(30).pipe(map(() => ({ data: 4 })))),
      { heartbeat: false },
    );
    const writes: unknown[][] = [];
    t.server = await startServer((req, res) => {
      const write = res.write.bind(res);
      res.write = ((...args: Parameters<typeof write>) => (
        writes.push(args),
        write(...args)
      )) as typeof res.write;
      listener(req, res);
    });
    const res = await fetchRaw(t.server.origin);
    expect(res.body).to.equal('data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
    expect(writes.map((args) => args[0])).to.deep.equal([
      'data: 1\n\ndata: 2\n\ndata: 3\n\n',
      'data: 4\n\n',
    ]);
  });
});
