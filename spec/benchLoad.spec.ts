import { expect } from 'chai';
import type { ServerResponse } from 'node:http';
import { openLoad } from '../bench/load.js';
import { startServer, type TestServer } from './support/server.js';

// The benchmark's load client is what makes its figures honest: a server that loses, repeats or
// reorders an event, or ends a stream early, must fail the run. Real servers on 127.0.0.1.

/** A server that writes each client `frames` (event numbers) once it has `clients` of them. */
async function serving(
  clients: number,
  frames: number[],
  then: (res: ServerResponse) => void = () => undefined,
): Promise<TestServer> {
  const waiting: ServerResponse[] = [];
  return startServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    waiting.push(res);
    if (waiting.length < clients) return;
    for (const each of waiting) {
      for (const n of frames) each.write(`id: ${n}\ndata: ${n} padding\n\n`);
      then(each);
    }
  });
}

const portOf = (server: TestServer): number => Number(new URL(server.origin).port);

/** The message `done` rejected with; it must reject. */
async function failureOf(done: Promise<void>): Promise<string> {
  try {
    await done;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return expect.fail('it passed');
}

describe('the benchmark load client', function () {
  let server: TestServer | undefined;
  afterEach(async function () {
    await server?.close();
    server = undefined;
  });

  it('resolves when every connection got every event, in order, once', async function () {
    server = await serving(3, [0, 1, 2]);
    const load = openLoad(portOf(server), 3, { count: 3 });
    await load.done;
    expect(() => {
      load.check();
    }).not.to.throw();
    load.close();
  });

  it('fails on a gap and on a repeat', async function () {
    server = await serving(2, [0, 2]);
    const gap = openLoad(portOf(server), 2, { count: 3 });
    expect(await failureOf(gap.done)).to.match(/got event 2 when it expected 1/);
    gap.close();
  });

  it('fails on an event after the last, which comes once done has resolved', async function () {
    // The duplicate of the last event arrives after `done`: `check()` reports it.
    let sent: () => void = () => undefined;
    const extraSent = new Promise<void>((resolve) => (sent = resolve));
    server = await serving(1, [0, 1], (res) => {
      setTimeout(() => {
        res.write('data: 1 again\n\n', () => {
          sent();
        });
      }, 50);
    });
    const load = openLoad(portOf(server), 1, { count: 2 });
    await load.done;
    const before = load.bytes;
    await extraSent;
    // The bytes are written: wait until the client has read them, then ask.
    while (load.bytes === before) await new Promise((resolve) => setImmediate(resolve));
    expect(() => {
      load.check();
    }).to.throw(/got event 1 when it expected none past 1/);
    load.close();
  });

  it('fails when the server ends a stream early, rather than waiting for ever', async function () {
    server = await serving(1, [0], (res) => res.end());
    const load = openLoad(portOf(server), 1, { count: 3 });
    expect(await failureOf(load.done)).to.match(/closed after 1 of 3 events/);
    load.close();
  });
});
