import { expect } from 'chai';
import { start as startExpress } from '../../samples/frameworks/express.js';
import { start as startFastify } from '../../samples/frameworks/fastify.js';
import { start as startKoa } from '../../samples/frameworks/koa.js';
import type { Running, StartOptions } from '../../samples/frameworks/rooms.js';
import { fetchRaw, openStream, waitFor, type OpenStream } from '../support/server.js';

/** Each framework sample, and how its framework answers a route it does not have. */
const samples: {
  name: string;
  start: (options: StartOptions) => Promise<Running>;
  notFound: RegExp;
}[] = [
  { name: 'Express 5', start: startExpress, notFound: /<pre>Cannot POST \/events\/kitchen<\/pre>/ },
  { name: 'Koa', start: startKoa, notFound: /^Not Found$/ },
  {
    name: 'Fastify',
    start: startFastify,
    notFound: /"message":"Route POST:\/events\/kitchen not found"/,
  },
];

/** The first `n` counter events of `room`, from `first` on, as eventsource-parser reads them. */
function counters(room: string, first: number, n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    event: 'counter',
    id: String(first + i),
    data: JSON.stringify({ room, n: first + i }),
  }));
}

/** Rejects with a message naming `what` if `promise` has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not finish within ${ms} ms`));
    }, ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

for (const sample of samples) {
  describe(`samples/frameworks: ${sample.name}`, () => {
    let running: Running;
    const streams: OpenStream[] = [];
    const open = async (path: string, headers?: Record<string, string>): Promise<OpenStream> => {
      const stream = await openStream(`${running.origin}${path}`, headers);
      streams.push(stream);
      return stream;
    };

    beforeEach(async () => {
      running = await sample.start({ port: 0, host: '127.0.0.1', period: 20 });
    });
    afterEach(async () => {
      for (const stream of streams.splice(0)) stream.close();
      // A test that broke shutdown must not leave its server behind.
      running.server.closeAllConnections();
      if (running.server.listening) await running.close();
    });

    it('should stream the room counter in order, with the event-stream head', async () => {
      const stream = await open('/events/kitchen');
      await waitFor(() => stream.events.length >= 3, 'three events');
      expect(stream.status).to.equal(200);
      expect(stream.headers).to.include({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      expect(stream.headers).not.to.have.property('content-length');
      expect(stream.text.startsWith('retry: 1000\n\nevent: counter\nid: 0\n')).to.equal(true);
      expect(stream.events.slice(0, 3)).to.deep.equal(counters('kitchen', 0, 3));
    });

    it('should unsubscribe as soon as the client goes away', async () => {
      const stream = await open('/events/kitchen');
      await waitFor(() => stream.events.length >= 1, 'an event');
      expect(running.events.stats.open).to.equal(1);
      stream.close();
      await waitFor(() => running.events.stats.open === 0, 'the stream to be torn down');
      const written = running.events.stats.events;
      // A later stream, read to its end once the listener has ended and flushed it, outlives
      // several periods of the counter: every event written since is one it read.
      const later = await open('/events/kitchen');
      await waitFor(() => later.events.length >= 5, 'five events on a later stream');
      await running.events.close();
      await later.ended;
      expect(
        running.events.stats.events - later.events.length,
        'events written after the client left',
      ).to.equal(written);
    });

    it('should resume after the Last-Event-ID the client sends', async () => {
      const stream = await open('/events/kitchen', { 'Last-Event-ID': '41' });
      await waitFor(() => stream.events.length >= 2, 'two events');
      expect(stream.events.slice(0, 2)).to.deep.equal(counters('kitchen', 42, 2));
    });

    it('should refuse a Last-Event-ID it never sent with 400, from the handler', async () => {
      const res = await fetchRaw(`${running.origin}/events/kitchen`, { 'Last-Event-ID': 'x' });
      expect(res.status).to.equal(400);
      expect(res.headers['content-type']).to.equal('text/plain; charset=utf-8');
      expect(res.body).to.equal('Last-Event-ID must be a counter value');
    });

    it('should answer an asynchronous refusal (an unknown room) with its status', async () => {
      const res = await fetchRaw(`${running.origin}/events/attic`);
      expect(res.status).to.equal(404);
      expect(res.headers['content-type']).to.equal('text/plain; charset=utf-8');
      expect(res.body).to.equal('There is no room attic');
      expect(running.events.stats.refused).to.equal(1);
    });

    it('should answer HEAD with the head of a stream and no body', async () => {
      const res = await fetch(`${running.origin}/events/kitchen`, { method: 'HEAD' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.equal('text/event-stream; charset=utf-8');
      expect(await res.text()).to.equal('');
      expect(running.events.stats.opened).to.equal(0);
    });

    it("should leave other routes and methods to the framework's own router", async () => {
      await open('/events/kitchen');
      await waitFor(() => running.events.stats.open === 1, 'a stream to open');
      const stats = await fetch(`${running.origin}/stats`);
      expect(stats.status).to.equal(200);
      expect(stats.headers.get('content-type')).to.match(/^application\/json; ?charset=utf-8$/);
      expect(await stats.json()).to.include({ open: 1, opened: 1 });
      const page = await fetch(`${running.origin}/`);
      expect(page.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(await page.text()).to.include("new EventSource('/events/'");
      const post = await fetch(`${running.origin}/events/kitchen`, { method: 'POST' });
      expect(post.status).to.equal(404);
      expect(await post.text()).to.match(sample.notFound);
    });

    it('should shut down promptly with a stream open, ending the stream', async () => {
      const stream = await open('/events/kitchen');
      await waitFor(() => stream.events.length >= 1, 'an event');
      const started = Date.now();
      await within(running.close(), 2000, 'close()');
      expect(Date.now() - started).to.be.below(1000);
      await within(stream.ended, 1000, "the client's response");
      expect(running.server.listening).to.equal(false);
      expect(running.events.stats.open).to.equal(0);
      expect(stream.text.endsWith('\n\n')).to.equal(true);
    });
  });
}
