import type { OutgoingHttpHeaders } from 'node:http';
import type { Admission } from '../engine/admission.js';
import { logError } from '../engine/report.js';
import type { SseRequest, SseResponse } from '../types.js';
import { NodeSink } from './nodeSink.js';
import { refuse } from './refuse.js';
import { whenAttached } from './whenAttached.js';

/** A node:http request listener that is also Connect/Express middleware. */
export type NodeDoor = (
  req: SseRequest,
  res: SseResponse,
  next?: (error?: unknown) => void,
) => void;

/**
 * The node door of a listener: CORS and its preflight, the method, a pipelined request's wait for
 * its turn, then the {@link Admission} with a {@link NodeSink}. Other methods go to `next` when
 * there is one (middleware), else get `405`.
 */
export function nodeDoor(admission: Admission): NodeDoor {
  const { settings, stats, refusals } = admission;
  const { cors, heads } = settings;
  const { addressOf } = settings;

  const turnAway = (res: SseResponse, error: unknown): void => {
    stats.refused++;
    refuse(res, error, heads.extra as OutgoingHttpHeaders);
  };

  return function sseListener(req, res, next): void {
    let allowed: ReturnType<NonNullable<typeof cors>['headersFor']> = {};
    let address = '';
    try {
      if (cors !== undefined) allowed = cors.headersFor(req.headers.origin, req);
      if (admission.countsAddresses) address = addressOf(req) ?? '';
    } catch (error) {
      // A user's callback that throws costs this request, never the process.
      stats.errors++;
      logError(error);
      turnAway(res, error);
      return;
    }
    if (cors !== undefined) {
      if (allowed === null) {
        turnAway(res, refusals.foreign);
        return;
      }
      for (const [name, value] of Object.entries(allowed)) res.setHeader(name, value);
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        res.writeHead(204, cors.preflight);
        res.end();
        return;
      }
    }
    if (!settings.methods.has(req.method ?? '')) {
      if (next) next();
      else turnAway(res, refusals.notAllowed);
      return;
    }
    // A pipelined request waits for the responses before it to finish, and counts nowhere until
    // then: with 10 GETs in one write, one stream is served at a time, each under the limits
    // and the shutdown as they stand when its turn comes. Past 16 waiting, the connection goes.
    whenAttached(req, res, () => {
      const sink = new NodeSink(req, res, settings);
      admission.admit(sink, sink, address);
    });
  };
}
