import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * The only part of rx-sse that writes to a socket. It decides when bytes go out, never what.
 *
 * Frames queued in one turn of the event loop leave as one `res.write`: a burst of events costs
 * one chunk on the wire, not one per event, and an event is never held past the current turn.
 */
export interface Writer {
  /** Queues a frame. Before {@link Writer.open} it only queues; after {@link Writer.end}, it is ignored. */
  write(frame: string): void;
  /** Sends the head, with whatever is queued, at once: the client's `open` need not wait for an event. */
  open(headers: OutgoingHttpHeaders): void;
  /** Writes whatever is queued, then ends the response. */
  end(): void;
  /** Drops whatever is queued: the client is gone. */
  discard(): void;
}

export function createWriter(res: ServerResponse): Writer {
  let pending = '';
  let opened = false;
  let scheduled = false;
  let done = false;

  const flush = (): void => {
    scheduled = false;
    if (done || pending === '') return;
    const chunk = pending;
    pending = '';
    res.write(chunk);
  };

  return {
    write(frame) {
      if (done) return;
      pending += frame;
      if (opened && !scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    },
    open(headers) {
      res.writeHead(200, headers);
      opened = true;
      if (pending === '') res.flushHeaders();
      else flush();
    },
    end() {
      if (done) return;
      flush();
      done = true;
      res.end();
    },
    discard() {
      done = true;
      pending = '';
    },
  };
}
