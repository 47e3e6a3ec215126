import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { sse } from 'rx-sse';
import type { SseChannel } from 'rx-sse/channel';
import { notFound, page } from '../serve.js';
import { chatPage } from './page.js';

/** One chat message, as posted and as broadcast. */
export interface Message {
  name: string;
  text: string;
}

const maxBody = 4096;

/**
 * The chat: `POST /messages` ({ name, text } as JSON) publishes into the channel, `GET /events`
 * streams it (the 50 newest messages first for a new client; what it missed for one that comes
 * back), `/` is the page. The channel is in memory or on Redis: the app cannot tell.
 */
export function chatApp(channel: SseChannel, label: string): RequestListener {
  const events = sse((ctx) => channel.stream(ctx, { recent: 50 }));
  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname === '/' && req.method === 'GET') page(res, chatPage(label));
    else if (pathname === '/events') events(req, res);
    else if (pathname === '/messages' && req.method === 'POST') void post(channel, req, res);
    else if (pathname === '/messages') reply(res, 405, { error: 'use POST' }, { Allow: 'POST' });
    else notFound(res);
  };
}

async function post(channel: SseChannel, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
    reply(res, 415, { error: 'send JSON: Content-Type: application/json' });
    return;
  }
  // Bytes first, decoded once: a character split across two chunks stays whole.
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > maxBody) {
        reply(res, 413, { error: `at most ${String(maxBody)} bytes` }, { Connection: 'close' });
        return;
      }
      chunks.push(chunk);
    }
  } catch {
    return; // the client went away mid-body
  }
  const body = Buffer.concat(chunks).toString('utf8');
  const message = parse(body);
  if (typeof message === 'string') {
    reply(res, 400, { error: message });
    return;
  }
  try {
    const id = await channel.publish({ event: 'message', data: message });
    reply(res, 201, { id });
  } catch (error) {
    console.error('chat: publishing failed', error);
    reply(res, 503, { error: 'the message could not be published; try again' });
  }
}

/** The message in a body, or what is wrong with it. */
export function parse(body: string): Message | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'the body is not JSON';
  }
  if (typeof value !== 'object' || value === null) return 'send { "name": "...", "text": "..." }';
  const { name, text } = value as Record<string, unknown>;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 40) {
    return 'name must be a non-empty string of at most 40 characters';
  }
  if (typeof text !== 'string' || text.trim() === '' || text.length > 1000) {
    return 'text must be a non-empty string of at most 1000 characters';
  }
  return { name: name.trim(), text };
}

function reply(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
