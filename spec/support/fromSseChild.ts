// A fromSse client in its own node process, so what it holds is measured without the test's server
// in the same heap. Started with startChild('../support/fromSseChild.ts', {}); driven over IPC:
//   { cmd: 'warm', url }              -> reads one event from `url` (loads what a first read loads)
//   { cmd: 'start', url, options }    -> subscribes to fromSse(url, options) and keeps it
//   { cmd: 'state' }                  -> { bytes, error }: body bytes fromSse has read, how it ended
//   { cmd: 'memory' }                 -> after a full GC: heapUsed + external
import { firstValueFrom } from 'rxjs';
import { fromSse, type FromSseOptions } from 'rx-sse/client';
import { retained } from './retained.js';

type Command =
  | { cmd: 'warm'; url: string }
  | { cmd: 'start'; url: string; options: FromSseOptions }
  | { cmd: 'state' }
  | { cmd: 'memory' };

let bytes = 0;
let error: { name: string; code?: string; message: string; limit?: number } | undefined;

// Counts the bytes fromSse takes from each body. The wrapping stream has no buffer of its own
// (highWaterMark 0): it pulls a chunk only when fromSse asks for one, so the count is what
// fromSse has read, not what is waiting for it.
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  if (response.body === null) return response;
  const reader = response.body.getReader();
  const counted = new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          return;
        }
        bytes += value.byteLength;
        controller.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  return new Response(counted, { status: response.status, headers: response.headers });
};

process.on('message', (message: Command) => {
  const reply = (value: unknown) => process.send?.({ cmd: message.cmd, value });
  switch (message.cmd) {
    case 'warm':
      void firstValueFrom(fromSse(message.url)).then(() => reply(true));
      break;
    case 'start':
      bytes = 0;
      fromSse(message.url, message.options).subscribe({
        error: (e: Error & { code?: string; limit?: number }) => {
          error = { name: e.name, message: e.message };
          if (e.code !== undefined) error.code = e.code;
          if (e.limit !== undefined) error.limit = e.limit;
        },
      });
      reply(true);
      break;
    case 'state':
      reply({ bytes, error });
      break;
    case 'memory':
      reply(retained());
      break;
  }
});

process.send?.({ cmd: 'ready', value: 0 });
process.on('disconnect', () => process.exit(0));
