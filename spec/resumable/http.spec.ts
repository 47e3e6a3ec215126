import { expect } from 'chai';
import { request } from 'node:http';
import { concat, interval, map, of, take } from 'rxjs';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { HttpError, sse, type SseEvent, type SseListener } from 'rx-sse';
import { createResumableStreams, type ResumableStreams } from 'rx-sse/resumable';
import { fetchRaw, parseEvents, startServer, waitFor, type TestServer } from '../support/server.js';

const prompt = 'the quick brown fox jumps over the lazy dog and keeps on running far away';
const words = prompt.split(' ');
const ttl = 300;

/** The AI-answer shape: POST /answers starts an answer, GET /answers/<id> resumes it. */
function answerServer(answers: ResumableStreams): SseListener {
  return sse(
    async (ctx) => {
      const { pathname } = ctx.url;
      if (ctx.request.method === 'POST' && pathname === '/answers') {
        const { prompt: asked } = (await ctx.json()) as { prompt?: unknown };
        if (typeof asked !== 'string' || asked === '') throw new HttpError(400, 'no prompt');
        const tokens = asked.split(' ');
        const id = answers.start(
          concat(
            interval(8).pipe(
              take(tokens.length),
              map((i): SseEvent => ({ event: 'token', data: tokens[i] })),
            ),
            of({ event: 'done', data: '' }),
          ),
        );
        // First the answer's id, without an id of its own: the client's Last-Event-ID is unset
        // until the first token, so a client that drops before it resumes from the start.
        return concat(of({ event: 'answer', data: id }), answers.read(id));
      }
      const [, id] = /^\/answers\/([^/]+)$/.exec(pathname) ?? [];
      if (id !== undefined) return answers.read(id, ctx);
      throw new HttpError(404);
    },
    { methods: ['GET', 'POST'], heartbeat: false },
  );
}

/** POSTs `body` as JSON; resolves with the events once `enough` says so, then drops the connection. */
function postUntil(
  url: string,
  body: unknown,
  enough: (events: EventSourceMessage[]) => boolean,
): Promise<EventSourceMessage[]> {
  return new Promise((resolve, reject) => {
    const events: EventSourceMessage[] = [];
    const req = request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        const parser = createParser({
          onEvent: (event) => {
            events.push(event);
            if (!enough(events)) return;
            req.destroy();
            resolve(events);
          },
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => parser.feed(chunk));
        res.on('error', () => undefined);
        res.on('close', () =>
          reject(new Error(`the stream ended first: ${JSON.stringify(events)}`)),
        );
      },
    );
    req.on('error', () => undefined);
    req.end(JSON.stringify(body));
  });
}

const tokensOf = (events: EventSourceMessage[]) =>
  events.filter((event) => event.event === 'token').map((event) => event.data);

describe('rx-sse/resumable through sse() on node:http', () => {
  let answers: ResumableStreams;
  let listener: SseListener;
  let server: TestServer;

  beforeEach(async () => {
    answers = createResumableStreams({ ttl });
    listener = answerServer(answers);
    server = await startServer(listener);
  });

  afterEach(async () => {
    answers.close();
    await listener.close();
    await server.close();
  });

  it('should resume a dropped answer with exactly the rest, then replay it whole, then 404', async () => {
    const first = await postUntil(`${server.origin}/answers`, { prompt }, (events) => {
      return tokensOf(events).length === 2;
    });
    const [answer] = first;
    expect(answer?.event).to.equal('answer');
    const id = answer?.data ?? '';
    expect(tokensOf(first)).to.deep.equal(words.slice(0, 2));
    expect(first.at(-1)?.id).to.equal('1');
    expect(answers.has(id)).to.equal(true);

    // Back mid-answer (the producer ran on meanwhile): what was missed, then live.
    const rest = await fetchRaw(`${server.origin}/answers/${id}`, { 'Last-Event-ID': '1' });
    expect(rest.status).to.equal(200);
    const resumed = parseEvents(rest.body);
    expect([...tokensOf(first), ...tokensOf(resumed)]).to.deep.equal(words);
    expect(resumed.map((event) => event.id)).to.deep.equal(
      words
        .slice(2)
        .map((_, i) => String(i + 2))
        .concat(String(words.length)),
    );
    expect(resumed.at(-1)).to.include({ event: 'done', data: '' });

    // Finished: the whole answer, at once.
    const whole = parseEvents((await fetchRaw(`${server.origin}/answers/${id}`)).body);
    expect(tokensOf(whole)).to.deep.equal(words);
    expect(whole).to.have.length(words.length + 1);

    // Expired: a real 404 before any head, with its text.
    await waitFor(() => !answers.has(id), 'the answer to expire', ttl + 2000);
    const gone = await fetchRaw(`${server.origin}/answers/${id}`, { 'Last-Event-ID': '1' });
    expect([gone.status, gone.headers['content-type'], gone.body]).to.deep.equal([
      404,
      'text/plain; charset=utf-8',
      'No such answer, or it has expired',
    ]);
  });

  it('should answer a Last-Event-ID that is not the answer ids with a 400, an unknown id with a 404', async () => {
    const id = answers.start(of({ data: 'a' }));
    const bad = await fetchRaw(`${server.origin}/answers/${id}`, { 'Last-Event-ID': '7' });
    expect([bad.status, bad.body]).to.deep.equal([
      400,
      'Last-Event-ID is not an event of this answer',
    ]);
    const unknown = await fetchRaw(`${server.origin}/answers/${crypto.randomUUID()}`);
    expect(unknown.status).to.equal(404);
  });

  it('should keep the answer running with no reader at all, and give it to the first who asks', async () => {
    const first = await postUntil(
      `${server.origin}/answers`,
      { prompt: 'one two three' },
      () => true,
    );
    const id = first[0]?.data ?? '';
    const whole = parseEvents((await fetchRaw(`${server.origin}/answers/${id}`)).body);
    expect(whole.map((event) => [event.id, event.event, event.data])).to.deep.equal([
      ['0', 'token', 'one'],
      ['1', 'token', 'two'],
      ['2', 'token', 'three'],
      ['3', 'done', ''],
    ]);
  });
});
