import { expect } from 'chai';
import type { EventSourceMessage } from 'eventsource-parser';
import { createResumableStreams } from 'rx-sse/resumable';
import { assistant } from '../samples/assistant/assistant.js';
import { useFixture } from './support/fixture.js';
import { openStream, startServer, waitFor, type OpenStream } from './support/server.js';

/** POSTs `body` to `url` and resolves once the head has arrived; events keep arriving. */
function post(
  url: string,
  body: string,
  headers: Record<string, string> = { 'Content-Type': 'application/json' },
): Promise<OpenStream> {
  return openStream(url, headers, { method: 'POST', body });
}

/** The `[event, data, id]` of each event. */
function shape(events: EventSourceMessage[]): [string | undefined, string, string | undefined][] {
  return events.map((event) => [event.event, event.data, event.id]);
}

describe('samples/assistant: answers as resumable streams', () => {
  const t = useFixture();
  let close: (() => unknown) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });
  const prompt = 'the quick brown fox jumps over the lazy dog';
  const words = prompt.split(' ');
  const whole = [
    ...words.map((word, i) => ['token', word, String(i)]),
    ['done', '', String(words.length)],
  ];

  async function start(ttl = 60_000): Promise<{ origin: string; has: (id: string) => boolean }> {
    const answers = createResumableStreams({ ttl });
    const { listener } = assistant({ tokenDelay: 5, answers });
    t.server = await startServer(listener);
    close = () => answers.close();
    return { origin: t.server.origin, has: (id) => answers.has(id) };
  }

  it('should answer a POSTed prompt word by word with ids, then done, with its Location', async () => {
    const { origin } = await start();
    const answer = await post(`${origin}/answers`, JSON.stringify({ prompt }));
    await answer.ended;
    expect(answer.status).to.equal(200);
    expect(answer.headers['content-type']).to.equal('text/event-stream; charset=utf-8');
    expect(answer.headers.location).to.match(/^\/answers\/[\w-]+$/);
    expect(shape(answer.events)).to.deep.equal(whole);
  });

  it('should resume a dropped answer at its Location from the Last-Event-ID, none missing or repeated', async () => {
    const { origin } = await start();
    const answer = await post(`${origin}/answers`, JSON.stringify({ prompt }));
    await waitFor(() => answer.events.length >= 2, 'two tokens');
    answer.close();
    const seen = answer.events.slice();
    const last = seen[seen.length - 1]?.id ?? '';
    const rest = await openStream(`${origin}${String(answer.headers.location)}`, {
      'Last-Event-ID': last,
    });
    await rest.ended;
    expect(rest.status).to.equal(200);
    expect(shape([...seen, ...rest.events])).to.deep.equal(whole);
  });

  it('should replay a finished answer whole, and resume it from ?lastEventId=', async () => {
    const { origin } = await start();
    const answer = await post(`${origin}/answers`, JSON.stringify({ prompt }));
    await answer.ended;
    const location = `${origin}${String(answer.headers.location)}`;
    const again = await openStream(location);
    await again.ended;
    expect(shape(again.events)).to.deep.equal(whole);
    const after = await openStream(`${location}?lastEventId=6`);
    await after.ended;
    expect(shape(after.events)).to.deep.equal(whole.slice(7));
  });

  it('should answer 404 for an unknown answer, and for one past its TTL', async () => {
    const { origin, has } = await start(50);
    const unknown = await openStream(`${origin}/answers/no-such-answer`);
    expect(unknown.status).to.equal(404);
    const answer = await post(`${origin}/answers`, JSON.stringify({ prompt: 'short' }));
    await answer.ended;
    const id = String(answer.headers.location).split('/').pop() ?? '';
    await waitFor(() => !has(id), 'the answer to expire');
    const expired = await openStream(`${origin}/answers/${id}`);
    expect(expired.status).to.equal(404);
  });

  it('should serve an answer asked with a bearer token to that token only, and a 404 to anyone else', async () => {
    const { origin } = await start();
    const answer = await post(`${origin}/answers`, JSON.stringify({ prompt }), {
      'Content-Type': 'application/json',
      Authorization: 'Bearer alice',
    });
    await answer.ended;
    const location = `${origin}${String(answer.headers.location)}`;
    const statuses: number[] = [];
    for (const headers of [{}, { Authorization: 'Bearer mallory' }]) {
      const refused = await openStream(location, headers);
      await refused.ended;
      statuses.push(refused.status);
    }
    expect(statuses).to.deep.equal([404, 404]);
    const owner = await openStream(location, { Authorization: 'Bearer alice' });
    await owner.ended;
    expect(shape(owner.events)).to.deep.equal(whole);
  });

  for (const [what, body, headers, status] of [
    ['a body that is not JSON', '{"prompt":', { 'Content-Type': 'application/json' }, 400],
    ['another content type', '{"prompt":"hi"}', { 'Content-Type': 'text/plain' }, 415],
    ['an empty prompt', '{"prompt":"  "}', { 'Content-Type': 'application/json' }, 400],
    [
      'a body over the limit',
      JSON.stringify({ prompt: 'x'.repeat(2 * 1024 * 1024) }),
      { 'Content-Type': 'application/json' },
      413,
    ],
  ] as const) {
    it(`should answer ${what} with ${status}`, async () => {
      const { origin } = await start();
      const answer = await post(`${origin}/answers`, body, headers);
      await answer.ended;
      expect(answer.status).to.equal(status);
      expect(answer.headers['content-type']).to.equal('text/plain; charset=utf-8');
      expect(answer.text).to.not.equal('');
    });
  }
});
