import type { SchedulerLike } from 'rxjs';
import { describe } from './describe.js';

// Setup-time checks shared by sse(), channels, the clients and their options: each mistake is a
// TypeError that names the caller and the option, thrown before any client connects. No runtime
// imports beyond ./describe.js: the browser helper uses them too.

/** Refuses a non-object and any key not in `names` (a typo would otherwise be silently ignored). */
export function checkKeys(caller: string, options: unknown, names: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${caller}: options must be an object (got ${describe(options)})`);
  }
  for (const key of Object.keys(options)) {
    if (!names.has(key)) {
      throw new TypeError(
        `${caller}: unknown option ${JSON.stringify(key)}; the options are ${[...names].join(', ')}`,
      );
    }
  }
}

/** The longest delay (ms) a timer takes: node and browsers run a longer one at once. */
export const maxTimerDelay = 2 ** 31 - 1;

/**
 * Checks an integer option from `min` to `max` (`Infinity` allowed for limits when `max` is);
 * `name` is what the error shows.
 */
export function checkInteger(
  caller: string,
  name: string,
  value: unknown,
  min = 1,
  max = Infinity,
): void {
  if (
    typeof value !== 'number' ||
    !(value >= min && value <= max) ||
    (value !== Infinity && !Number.isSafeInteger(value))
  ) {
    const range =
      max === Infinity ? `of at least ${String(min)}` : `from ${String(min)} to ${String(max)}`;
    throw new TypeError(`${caller}: ${name} must be an integer ${range} (got ${describe(value)})`);
  }
}

export function checkFunction(caller: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`${caller}: ${name} must be a function (got ${describe(value)})`);
  }
}

export function checkScheduler(caller: string, name: string, scheduler: unknown): void {
  const clock = scheduler as Partial<SchedulerLike> | null | undefined;
  if (typeof clock?.now !== 'function' || typeof clock.schedule !== 'function') {
    throw new TypeError(
      `${caller}: ${name} must be an RxJS SchedulerLike, such as asyncScheduler (got ${describe(scheduler)})`,
    );
  }
}
