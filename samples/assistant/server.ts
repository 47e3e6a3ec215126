// Serves the assistant (see assistant.ts) on PORT (default 8080), answers in memory, and its page at
// `/` (page.ts), whose modules are served as ../browser/modules.ts does.
//
// Run: node --conditions=rx-sse-source --import tsx samples/assistant/server.ts
// Then open http://localhost:8080/
import type { RequestListener } from 'node:http';
import { createResumableStreams } from 'rx-sse/resumable';
import { browserModules } from '../browser/modules.js';
import { isMain, notFound, page, serve } from '../serve.js';
import { assistant, type AssistantOptions } from './assistant.js';
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

if (isMain(import.meta.url)) {
  const ttl = Number(process.env['ANSWER_TTL_S'] ?? 600) * 1000;
  serve(
    assistantServer({
      tokenDelay: Number(process.env['TOKEN_DELAY_MS'] ?? 50),
      answers: createResumableStreams({ ttl }),
    }),
    'assistant',
  );
}
