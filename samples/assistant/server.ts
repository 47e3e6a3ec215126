// Serves the assistant (see assistant.ts) on PORT (default 8080), answers in memory.
//
// Run: node --conditions=rx-sse-source --import tsx samples/assistant/server.ts
import { createResumableStreams } from 'rx-sse/resumable';
import { isMain, notFound, serve } from '../serve.js';
import { assistant } from './assistant.js';

if (isMain(import.meta.url)) {
  const ttl = Number(process.env['ANSWER_TTL_S'] ?? 600) * 1000;
  const { listener } = assistant({
    tokenDelay: Number(process.env['TOKEN_DELAY_MS'] ?? 50),
    answers: createResumableStreams({ ttl }),
  });
  serve((req, res) => {
    if (req.url?.startsWith('/answers')) listener(req, res);
    else notFound(res);
  }, 'assistant');
}
