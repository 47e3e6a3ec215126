import { expect } from 'chai';
import { EventSource } from 'eventsource';
import { createConnection } from 'node:net';
import { concat, map, NEVER, of, timer } from 'rxjs';
import sinon from 'sinon';
import { sse, SseEventError } from 'rx-sse';
import { doors } from './support/doors.js';
import { useFixture } from './support/fixture.js';
import { fetchRaw, parseEvents, startServer, waitFor } from './support/server.js';
import { useDoor } from './support/stream.js';

/** Sends `lines` as a raw request head and resolves with all the server answered. */
function rawRequest(origin: string, lines: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(Number(new URL(origin).port), '127.0.0.1', () =>
      socket.write(Buffer.from([...lines, 'Connection: close', '', ''].join('\r\n'), 'latin1')),
    );
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

// An id is only worth sending if the client's Last-Event-ID brings it back as it was: these run
// the round trip on a real server, through each door, with what clients really send.
for (const door of doors) {
  describe(`an event id sent back as Last-Event-ID (${door} door)`, () => {
    const { serve } = useDoor(door);

    it('should get an id with an inner space and HTAB back unchanged across a real EventSource reconnect', async () => {
      const id = 'a b\tc';
      const seen: (string | undefined)[] = [];
      const origin = await serve(
        ({ lastEventId }) => {
          seen.push(lastEventId);
          return lastEventId === undefined ? of({ id, data: 'first' }) : NEVER;
        },
        { retry: 20 },
      );
      const source = new EventSource(origin);
      try {
        await waitFor(() => seen.length >= 2, 'the reconnection');
      } finally {
        source.close();
      }
      expect(seen.slice(0, 2)).to.deep.equal([undefined, id]);
    });

    it('should get a non-ASCII id back unchanged from a client that sends its UTF-8 bytes, as browsers do', async () => {
      const ids = ['café', '€-1 ✓', 'x\u0085y', 'no\u00a0break', '🙂\t2'];
      const seen: (string | undefined)[] = [];
      const origin = await serve(({ lastEventId, url }) => {
        seen.push(lastEventId);
        const id = ids[Number(url.searchParams.get('i'))];
        return lastEventId === undefined ? of({ id, data: 'x' }) : of({ data: 'resumed' });
      });
      for (const [i, id] of ids.entries()) {
        const [event] = parseEvents((await fetchRaw(`${origin}/?i=${i}`)).body);
        expect(event?.id).to.equal(id);
        // node's client writes a header string as latin1: these are the id's UTF-8 bytes.
        const bytes = Buffer.from(event?.id ?? '', 'utf8').toString('latin1');
        await fetchRaw(`${origin}/?i=${i}`, { 'Last-Event-ID': bytes });
      }
      expect(seen).to.deep.equal(ids.flatMap((id) => [undefined, id]));
    });

    for (const [what, id] of [
      ['a control character', 'a\u0001b'],
      ['DEL', '7\u007f'],
      ['NUL', 'a\0b'],
      ['LF', '1\n2'],
      ['a leading space', ' 7'],
      ['a trailing HTAB', '7\t'],
    ] as const) {
      it(`should refuse an id with ${what} as a stream error, writing none of it`, async () => {
        const onError = sinon.spy();
        // After the head has gone out, so the refusal is a stream error, not a 500.
        const events = concat(of({ data: 'a' }), timer(5).pipe(map(() => ({ id, data: 'x' }))));
        const origin = await serve(() => events, { onError });
        expect((await fetchRaw(origin)).body).to.equal('data: a\n\n');
        expect(onError.callCount).to.equal(1);
        const error: unknown = onError.firstCall.args[0];
        expect(error).to.be.instanceOf(SseEventError);
        expect((error as SseEventError).field).to.equal('id');
      });
    }

    describe('why those ids are refused', () => {
      it('should come back trimmed when it starts or ends with a space or HTAB', async () => {
        const seen: (string | undefined)[] = [];
        const origin = await serve(({ lastEventId }) => {
          seen.push(lastEventId);
          return of({ data: 'x' });
        });
        await rawRequest(origin, ['GET / HTTP/1.1', 'Host: a', 'Last-Event-ID:  7 \t']);
        expect(seen).to.deep.equal(['7']);
      });
    });
  });
}

// node:http only: this is node's HTTP parser refusing the header before any door sees the request
// (a fetch runtime parses HTTP, and answers such a header, in its own way).
describe('an event id sent back as Last-Event-ID (node door only)', () => {
  const t = useFixture();

  describe('why those ids are refused', () => {
    it('should be answered 400 by node when a control character comes back in Last-Event-ID', async () => {
      const handler = sinon.spy(() => of({ data: 'x' }));
      t.server = await startServer(sse(handler));
      for (const id of ['a\u0001b', '7\u007f']) {
        const answer = await rawRequest(t.server.origin, [
          'GET / HTTP/1.1',
          'Host: a',
          `Last-Event-ID: ${id}`,
        ]);
        expect(answer).to.match(/^HTTP\/1\.1 400 /);
      }
      expect(handler.called).to.equal(false);
    });
  });
});
