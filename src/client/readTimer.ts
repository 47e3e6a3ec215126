import { Subscription, type SchedulerAction, type SchedulerLike } from 'rxjs';

/** A connection's read timeout: note each read; it calls `onTimeout` after `timeout` ms without. */
export interface ReadTimer {
  /** A byte (or the head) arrived now. */
  read(): void;
  /** Cancels the timer: added to the connection, so that ending it ends the timer. */
  subscription: Subscription;
}

/**
 * One timer per connection, not one per chunk: a read only notes the time, and the timer, when it
 * fires early, sleeps again for what is left of the timeout. `false` times nothing.
 */
export function readTimer(
  scheduler: SchedulerLike,
  timeout: number | false,
  onTimeout: (timeout: number) => void,
): ReadTimer {
  let lastRead = scheduler.now();
  const read = (): void => {
    lastRead = scheduler.now();
  };
  if (timeout === false) return { read, subscription: Subscription.EMPTY };
  const subscription = scheduler.schedule(function (this: SchedulerAction<undefined>) {
    const idle = scheduler.now() - lastRead;
    if (idle < timeout) {
      // A clock set back makes `idle` negative: wait a whole timeout then, no more.
      this.schedule(undefined, Math.min(timeout, timeout - idle));
      return;
    }
    onTimeout(timeout);
  }, timeout);
  return { read, subscription };
}
