import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { lastValueFrom, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import { createParser, fromSse, SseTooLargeError } from 'rx-sse/client';
import { startChild, type Child } from '../support/child.js';
import { useFixture } from '../support/fixture.js';
import { delay, startServer, waitFor } from '../support/server.js';

const encoder = new TextEncoder();

/** The data of the events a parser bounded by `max` dispatches from `text` fed in `pieces`. */
function parse(text: string, max: number, pieces = 1): string[] {
  const events: string[] = [];
  const parser = createParser(
    (event) => events.push(event.data),
    () => undefined,
    '',
    max,
  );
  const bytes = encoder.encode(text);
  const size = Math.ceil(bytes.length / pieces);
  for (let at = 0; at < bytes.length; at += size) parser.feed(bytes.subarray(at, at + size));
  return events;
}

type State = { bytes: number; error?: { name: string; code?: string; limit?: number } };

const MiB = 1024 * 1024;

describe('fromSse: maxEventSize', function () {
  this.timeout(60_000);
  const t = useFixture();

  describe('createParser with a bound', () => {
    // 'data: ' + 10 characters is a 16-character line: the whole line counts while it is read.
    const fits = 'data: 0123456789\n\n';
    for (const pieces of [1, 3, fits.length]) {
      it(`should hold an event of exactly the bound, and refuse one byte more (${String(pieces)} pieces)`, () => {
        expect(parse(fits, 16, pieces)).to.deep.equal(['0123456789']);
        expect(() => parse('data: 0123456789a\n\n', 16, pieces))
          .to.throw(SseTooLargeError, 'an event passed maxEventSize (16 bytes)')
          .with.property('limit', 16);
      });
    }

    it('should count the data already held with the line being read, and start again at each event', () => {
      // 5 held + a 10-character line = 15; then '01234\n0123' (10) + an 11-character line = 21.
      expect(parse('data: 01234\ndata: 0123\n\n', 16)).to.deep.equal(['01234\n0123']);
      expect(() => parse('data: 01234\ndata: 0123\ndata:\n\n', 16)).not.to.throw();
      expect(() => parse('data: 01234\ndata: 0123\ndata: 0\n\n', 16)).to.throw(SseTooLargeError);
      const many = 'data: 0123456789\n\n'.repeat(1000);
      expect(parse(many, 16, 7)).to.have.length(1000);
    });

    it('should count the last event id, which is kept and sent back, with the event', () => {
      // A 3-byte id and a 13-byte line fit in 16; a 4-byte id does not.
      expect(parse('id: 012\ndata: 0123456\n\n', 16)).to.deep.equal(['0123456']);
      expect(() => parse('id: 0123\ndata: 0123456\n\n', 16)).to.throw(SseTooLargeError);
      // It stays counted in the events after it, as it stays held.
      expect(() => parse('id: 0123\n\ndata: 0123456\n\n', 16)).to.throw(SseTooLargeError);
    });

    it('should count a comment or an unknown field while it is read, and the event type', () => {
      expect(() => parse(`:${'c'.repeat(16)}\n`, 16)).to.throw(SseTooLargeError);
      expect(() => parse(`x: ${'c'.repeat(14)}`, 16)).to.throw(SseTooLargeError);
      expect(parse('data: 012345\n\n', 20)).to.deep.equal(['012345']);
      expect(() => parse('event: 0123456789\ndata: 012345\n\n', 20)).to.throw(SseTooLargeError);
    });
  });

  it('should error with an SseTooLargeError, abort the request and not reconnect', async () => {
    let requests = 0;
    const closed: number[] = [];
    t.server = await startServer((_, res) => {
      const n = ++requests;
      res.on('close', () => closed.push(n));
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write(`data: ok\n\ndata: ${'x'.repeat(2000)}`); // and no line end, ever
    });
    const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
    const data: string[] = [];
    let failure: unknown;
    await lastValueFrom(
      fromSse(t.server.origin, { maxEventSize: 1000, retry: 1, readTimeout: 60_000 }, scheduler),
      {
        defaultValue: undefined,
      },
    )
      .then((m) => m !== undefined && data.push(m.data))
      .catch((e: unknown) => (failure = e));
    expect(failure).to.be.instanceOf(SseTooLargeError);
    expect(failure).to.include({ code: 'ERR_SSE_TOO_LARGE', limit: 1000 });
    expect((failure as Error).message).to.equal(
      `fromSse: ${t.server.origin}/: an event passed maxEventSize (1000 bytes)`,
    );
    await waitFor(() => closed.includes(1), 'the server to see the request aborted');
    expect(scheduler.actions).to.deep.equal([]); // no reconnection pending, no read timer
    expect(requests).to.equal(1);
  });

  for (const value of [0, -1, 1.5, '1']) {
    it(`should refuse maxEventSize ${JSON.stringify(value)} with a TypeError naming it`, () => {
      expect(() => fromSse('http://x/', { maxEventSize: value as never })).to.throw(
        TypeError,
        /options\.maxEventSize must be an integer of at least 1/,
      );
    });
  }

  describe('memory, measured in a client process of its own', () => {
    let child: Child | undefined;
    afterEach(async () => {
      await child?.stop();
      child = undefined;
    });

    it('should hold no more than the default bound (16 MiB) of a line that never ends, then let it all go', async () => {
      const limit = 16 * MiB;
      let big: ServerResponse | undefined;
      t.server = await startServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        if (req.url === '/warm') res.write('data: warm\n\n');
        else {
          res.write('data: ');
          big = res;
        }
      });
      /** Writes `count` bytes of `x` to the open line, heeding backpressure, until done or closed. */
      const send = async (count: number): Promise<void> => {
        const chunk = Buffer.alloc(64 * 1024, 'x');
        for (let left = count; left > 0 && big !== undefined && !big.destroyed;) {
          const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
          left -= piece.length;
          if (!big.write(piece)) {
            await new Promise<void>((resolve) => {
              big!.once('drain', resolve);
              big!.once('close', resolve);
            });
          }
        }
      };
      const until = async (check: (state: State) => boolean): Promise<State> => {
        for (;;) {
          const state = await child!.ask<State>({ cmd: 'state' });
          if (check(state)) return state;
          await delay(20);
        }
      };

      child = await startChild('../support/fromSseChild.ts', {});
      await child.ask({ cmd: 'warm', url: `${t.server.origin}/warm` });
      const baseline = await child.ask<number>({ cmd: 'memory' });
      await child.ask({ cmd: 'start', url: `${t.server.origin}/big`, options: {} });
      await waitFor(() => big !== undefined, 'the request');

      // Just under the bound: all of it is held, as it must be (the line may yet end).
      const under = limit - MiB;
      await send(under);
      await until((state) => state.bytes >= 'data: '.length + under);
      const held = (await child.ask<number>({ cmd: 'memory' })) - baseline;

      // Then 48 MiB more, as the server sends 256 MiB: it errors past the bound.
      void send(48 * MiB);
      const end = await until(
        (state) => state.error !== undefined || state.bytes >= 'data: '.length + under + 48 * MiB,
      );
      const after = (await child.ask<number>({ cmd: 'memory' })) - baseline;
      console.log(
        `      held ${(held / MiB).toFixed(1)} MiB just under the bound; ${(after / MiB).toFixed(1)} MiB once past it (over a warm baseline)`,
      );
      expect(held).to.be.within(under * 0.9, limit + 2 * MiB);
      expect(after).to.be.below(2 * MiB);
      expect(end.error).to.include({ name: 'SseTooLargeError', code: 'ERR_SSE_TOO_LARGE', limit });
      expect(end.bytes).to.be.below(limit + 2 * MiB); // it stopped reading soon after the bound
    });

    /** Writes `piece` `times` times to `res`, heeding backpressure, unless the client leaves. */
    const repeat = async (res: ServerResponse, piece: string, times: number): Promise<void> => {
      const batch = Buffer.from(piece.repeat(Math.max(1, Math.floor((64 * 1024) / piece.length))));
      const perBatch = batch.length / Buffer.byteLength(piece);
      for (let left = times; left > 0 && !res.destroyed; left -= perBatch) {
        const chunk = left >= perBatch ? batch : batch.subarray(0, left * Buffer.byteLength(piece));
        if (!res.write(chunk)) {
          await new Promise<void>((resolve) => {
            res.once('drain', resolve);
            res.once('close', resolve);
          });
        }
      }
    };

    /** Serves `/warm` one event, and hands any other request's response to `take`. */
    const serve = async (take: (res: ServerResponse) => void): Promise<void> => {
      t.server = await startServer((req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/event-stream' });
        if (req.url === '/warm') res.write('data: warm\n\n');
        else take(res);
      });
      child = await startChild('../support/fromSseChild.ts', {});
      await child.ask({ cmd: 'warm', url: `${t.server.origin}/warm` });
    };

    const stateWhen = async (check: (state: State) => boolean): Promise<State> => {
      for (;;) {
        const state = await child!.ask<State>({ cmd: 'state' });
        if (check(state)) return state;
        await delay(20);
      }
    };

    it('should hold no more than the bound for an event of many empty data lines, each its own LF', async () => {
      let open: ServerResponse | undefined;
      await serve((res) => (open = res));
      const baseline = await child!.ask<number>({ cmd: 'memory' });
      await child!.ask({
        cmd: 'start',
        url: `${t.server!.origin}/lines`,
        options: { maxEventSize: MiB },
      });
      await waitFor(() => open !== undefined, 'the request');
      // 900,000 lines of `data:` make 900,000 LFs of data (0.86 MiB): under the bound, all held.
      const lines = 900_000;
      await repeat(open!, 'data:\n', lines);
      await stateWhen((state) => state.bytes >= lines * 6);
      const held = (await child!.ask<number>({ cmd: 'memory' })) - baseline;
      console.log(
        `      held ${(held / MiB).toFixed(1)} MiB for ${String(lines)} lines under a 1 MiB bound`,
      );
      expect(held).to.be.below(2 * MiB);
      // 200,000 more pass the bound.
      void repeat(open!, 'data:\n', 200_000);
      const end = await stateWhen((state) => state.error !== undefined);
      expect(end.error).to.include({ name: 'SseTooLargeError', limit: MiB });
    });

    it('should hold only the data of short lines padded by long comments, not the chunks they came in', async () => {
      let open: ServerResponse | undefined;
      await serve((res) => (open = res));
      const baseline = await child!.ask<number>({ cmd: 'memory' });
      await child!.ask({ cmd: 'start', url: `${t.server!.origin}/padded`, options: {} });
      await waitFor(() => open !== undefined, 'the request');
      // 1,000 times a 60,000-byte comment and a 20-byte data line: 60 MB sent, 21 kB of data.
      const piece = `:${'c'.repeat(60_000)}\ndata: ${'y'.repeat(20)}\n`;
      await repeat(open!, piece, 1000);
      await stateWhen((state) => state.bytes >= 1000 * piece.length);
      const held = (await child!.ask<number>({ cmd: 'memory' })) - baseline;
      console.log(
        `      held ${(held / MiB).toFixed(1)} MiB after 60 MB of comments around 21 kB of data`,
      );
      expect(held).to.be.below(2 * MiB);
      expect((await child!.ask<State>({ cmd: 'state' })).error).to.equal(undefined);
    });
  });
});
