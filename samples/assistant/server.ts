// Serves the assistant (see assistant.ts) on PORT (default 8080), and its page at `/` (page.ts),
// whose modules are served as ../browser/modules.ts does. Answers live in memory, or with
// REDIS_URL on Redis, so that several processes serve one set of answers: a question POSTed to
// one can be resumed on another.
//
// Run: node --conditions=rx-sse-source --import tsx samples/assistant/server.ts
//      REDIS_URL=redis://127.0.0.1:6379 PORT=8081 node … samples/assistant/server.ts   (and 8082)
// Then open http://localhost:8080/
import type { RequestListener } from 'node:http';
import { createClient } from 'redis';
import { createRedisResumableStreams } from 'rx-sse/redis';
import { createResumableStreams, type SseResumableStreams } from 'rx-sse/resumable';
import { browserModules } from '../browser/modules.js';
import { isMain, notFound, page, serve } from '../serve.js';
import { assistant, type AssistantOptions } from './assistant.js';
import { redisOwners, type AnswerOwners } from './owners.js';
import { assistantPage } from './page.js';

/** The page, its modules and the answers, as one request listener. */
export function assistantServer(options: AssistantOptions = {}): RequestListener {
  const { listener } = assistant(options);
  const modules = browserModules();
  const html = assistantPage(modules.importMap);
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/') page(res, html);
    else if (path.startsWith('/answers')) listener(req, res);
    else if (!modules.serve(req, res)) notFound(res);
  };
}

/**
 * Where answers and their owners live: Redis when `redisUrl` is given (owners kept a day past an
 * answer's ttl, far longer than the stand-in model runs), else this process's memory.
 */
export async function answerStore(
  ttl: number,
  redisUrl: string | undefined,
): Promise<{ answers: SseResumableStreams; owners?: AnswerOwners }> {
  if (redisUrl === undefined) return { answers: createResumableStreams({ ttl }) };
  const client = createClient({ url: redisUrl });
  await client.connect();
  return {
    answers: createRedisResumableStreams(client, { ttl }),
    owners: redisOwners(client, ttl + 24 * 3600 * 1000),
  };
}

if (isMain(import.meta.url)) {
  const ttl = Number(process.env['ANSWER_TTL_S'] ?? 600) * 1000;
  const { answers, owners } = await answerStore(ttl, process.env['REDIS_URL']);
  serve(
    assistantServer({ tokenDelay: Number(process.env['TOKEN_DELAY_MS'] ?? 50), answers, owners }),
    'assistant',
  );
}
