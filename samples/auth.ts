// An authorised stream. The handler is async: it checks the token first, and a missing or wrong
// one is refused with a real 401 before any stream opens. EventSource cannot send headers, so a
// browser passes the token as ?token=; other clients send `Authorization: Bearer <token>`.
//
// Run: node --conditions=rx-sse-source --import tsx samples/auth.ts
//      curl -i http://localhost:8080/inbox                       -> 401
//      curl -N -H 'Authorization: Bearer alice-token' http://localhost:8080/inbox
import type { RequestListener } from 'node:http';
import { interval, map, type Observable } from 'rxjs';
import { HttpError, sse, type SseContext, type SseEvent } from 'rx-sse';
import { isMain, notFound, serve } from './serve.js';

const users = new Map([['alice-token', 'alice']]);

/** Looks a token up as a real service would, asynchronously. */
async function userFor(token: string | undefined): Promise<string | undefined> {
  await new Promise((resolve) => setImmediate(resolve));
  return token === undefined ? undefined : users.get(token);
}

export async function inbox(ctx: SseContext): Promise<Observable<SseEvent>> {
  const bearer = /^Bearer (.+)$/.exec(ctx.request.headers.get('authorization') ?? '')?.[1];
  const user = await userFor(bearer ?? ctx.url.searchParams.get('token') ?? undefined);
  if (user === undefined) {
    throw new HttpError(401, 'A valid token is required', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    });
  }
  return interval(1000).pipe(
    map((i) => ({ event: 'mail', data: { to: user, subject: `message ${i}` } })),
  );
}

const stream = sse(inbox);

export const app: RequestListener = (req, res) => {
  if (new URL(req.url ?? '/', 'http://localhost').pathname === '/inbox') stream(req, res);
  else notFound(res);
};

if (isMain(import.meta.url)) serve(app, 'auth');
