import { catchError, map, of, type Observable, type OperatorFunction } from 'rxjs';
import { HttpError, type SseEvent } from 'rx-sse';
import { createResumableStreams, type ResumableOptions } from 'rx-sse/resumable';
import { testScheduler } from '../support/scheduler.js';

/** Events as plain objects (a kept event is frozen and carries its frame), errors as statuses. */
export const plain: OperatorFunction<SseEvent, SseEvent | number> = (events) =>
  events.pipe(
    map((event) => ({ ...event })),
    catchError((error: unknown) => of(error instanceof HttpError ? error.status : -1)),
  );

/** The events a stream gives synchronously, and whether it completed. */
export function collect(stream: Observable<SseEvent>): { events: SseEvent[]; done: boolean } {
  const seen = { events: [] as SseEvent[], done: false };
  stream.subscribe({
    next: (event) => seen.events.push({ ...event }),
    complete: () => (seen.done = true),
  });
  return seen;
}

/** A store on a fresh TestScheduler, with errors collected instead of logged. */
export function setup(options: ResumableOptions = {}) {
  const scheduler = testScheduler();
  const errors: [unknown, string][] = [];
  const answers = createResumableStreams(
    { onError: (error, id) => errors.push([error, id]), ...options },
    scheduler,
  );
  return { scheduler, answers, errors };
}

export const token = (data: string) => ({ event: 'token', data });
export const tokens = { a: token('a'), b: token('b'), c: token('c') };
