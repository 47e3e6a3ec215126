import { expect } from 'chai';
import { createServer, get, type ClientRequest, type ServerResponse } from 'node:http';
import { NEVER } from 'rxjs';
import { sse } from 'rx-sse';
import { listen, waitFor, type TestServer } from './support/server.js';

// What an idle stream holds on its response, kept small on purpose (docs/performance.md: 19,000
// idle streams at 1.06-1.11x a bare node:http loop's memory): no 'drain' listener until a write
// has to wait, and one 'close' listener shared by every stream, not a closure each.
describe('an idle stream on node:http', function () {
  let server: TestServer | undefined;
  const requests: ClientRequest[] = [];
  afterEach(async function () {
    for (const request of requests) request.destroy();
    await server?.close();
    server = undefined;
  });

  it("holds no 'drain' listener, and shares its 'close' listener with every other stream", async function () {
    const listener = sse(() => NEVER);
    const responses: ServerResponse[] = [];
    server = await listen(
      createServer((req, res) => {
        responses.push(res);
        listener(req, res);
      }),
    );
    for (let i = 0; i < 2; i++) requests.push(get(server.origin, { agent: false }));
    await waitFor(() => listener.stats.open === 2, 'two open streams');
    const [first, second] = responses;
    expect(first?.listenerCount('drain')).to.equal(0);
    expect(second?.listenerCount('drain')).to.equal(0);
    const shared = first?.listeners('close').filter((f) => second?.listeners('close').includes(f));
    expect(shared, "a 'close' listener both responses have").to.have.length.greaterThan(0);
  });
});
