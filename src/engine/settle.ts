import { isObservable } from 'rxjs';
import { isPromiseLike, logError } from './report.js';

/**
 * Hands what a handler returned to `start` — at once, or once its promise resolves — or its
 * rejection to `fail`. Exactly one of them is called. Should `fail` itself throw inside the promise
 * chain, the error is logged and `broken` ends the request, rather than a rejection being left
 * unhandled. (An Observable with a `then` is still an Observable.)
 */
export function settle(
  result: unknown,
  start: (stream: unknown) => void,
  fail: (error: unknown) => void,
  broken: () => void,
): void {
  if (isObservable(result) || !isPromiseLike(result)) {
    start(result);
    return;
  }
  Promise.resolve(result)
    .then(start, fail)
    .catch((error: unknown) => {
      logError(error);
      broken();
    });
}
