// An assistant's answers as resumable streams: a question POSTed to /answers is answered word by
// word as Server-Sent Events, and the answer can be read again, or resumed after a dropped
// connection, at the URL its Location header names.
//
//   POST /answers  {"prompt":"…"}  → 200 text/event-stream, Location: /answers/<id>,
//                                    `token` events (one per word, each with an id), then `done`
//   GET /answers/<id>  (+ Last-Event-ID or ?lastEventId=)  → the tokens after that id, then `done`
//
// The "model" is a stand-in that echoes the prompt's words, one every TOKEN_DELAY_MS ms (default
// 50). An answer stays readable for ANSWER_TTL_S s after it ends (default 600).
//
// Run: node --conditions=rx-sse-source --import tsx samples/assistant/server.ts
// Then: curl -N -X POST -H 'Content-Type: application/json' -d '{"prompt":"to be or not"}' \
//         http://localhost:8080/answers
import { concat, from, interval, map, of, take, zip, type Observable } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent, type SseListener } from 'rx-sse';
import { createResumableStreams, type SseResumableStreams } from 'rx-sse/resumable';
import { bearerOf, memoryOwners, type AnswerOwners } from './owners.js';

/** The stand-in model: the prompt's words, one every `delay` ms, then `done`. */
export function model(prompt: string, delay: number): Observable<SseEvent> {
  const words = prompt.split(/\s+/).filter((word) => word !== '');
  const tokens = zip(from(words), interval(delay)).pipe(
    take(words.length),
    map(([word]) => ({ event: 'token', data: word })),
  );
  return concat(tokens, of({ event: 'done', data: '' }));
}

/** What the answers listener needs from its environment. */
export interface AssistantOptions {
  /** ms between two words. Defaults to `50`. */
  tokenDelay?: number | undefined;
  /** Where answers live: in memory by default. */
  answers?: SseResumableStreams | undefined;
  /** Who may read which answer: in memory (beside in-memory answers) by default. */
  owners?: AnswerOwners | undefined;
}

/** The `/answers` routes as one `sse()` listener (GET and POST), and the answers it serves. */
export function assistant(options: AssistantOptions = {}): {
  listener: SseListener;
  answers: SseResumableStreams;
} {
  const tokenDelay = options.tokenDelay ?? 50;
  const answers = options.answers ?? createResumableStreams();
  const owners = options.owners ?? memoryOwners((id) => answers.has(id) === true);
  const answer = async (ctx: SseContext): Promise<Observable<SseEvent>> => {
    const path = ctx.url.pathname;
    if (ctx.request.method === 'POST') {
      if (path !== '/answers') throw new HttpError(404);
      const body = await ctx.json();
      const prompt = (body as { prompt?: unknown } | null)?.prompt;
      if (typeof prompt !== 'string' || prompt.trim() === '') {
        throw new HttpError(400, 'The body must be {"prompt": "<text>"}, the text not empty');
      }
      const id = await answers.start(model(prompt, tokenDelay));
      const token = bearerOf(ctx.request.headers.get('authorization'));
      if (token !== undefined) await owners.set(id, token);
      ctx.setHeader('Location', `/answers/${id}`);
      return answers.read(id);
    }
    const id = /^\/answers\/([\w-]{1,64})$/.exec(path)?.[1];
    if (id === undefined) throw new HttpError(404);
    // Whose answer this is, is the application's to check (see owners.ts). Someone else's answer
    // is a 404 like an unknown one: its existence is not told. Both are asked before read(), so
    // that they are statuses on either store (Redis's read() finds out only after subscribing).
    const token = bearerOf(ctx.request.headers.get('authorization'));
    if (!(await answers.has(id)) || !(await owners.allows(id, token))) {
      throw new HttpError(404, 'No such answer, or it has expired');
    }
    return answers.read(id, ctx);
  };
  return { listener: sse(answer, { methods: ['GET', 'POST'] }), answers };
}
