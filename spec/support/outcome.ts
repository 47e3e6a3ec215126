import type { Observable } from 'rxjs';
import type { SseMessage } from 'rx-sse/client';

/** Subscribes to the end; resolves with the data emitted and the error it ended with, if any. */
export function outcome<T>(
  messages: Observable<SseMessage<T>>,
): Promise<{ data: T[]; error: unknown }> {
  const data: T[] = [];
  return new Promise((resolve) => {
    messages.subscribe({
      next: (message) => data.push(message.data),
      error: (error: unknown) => resolve({ data, error }),
      complete: () => resolve({ data, error: undefined }),
    });
  });
}
