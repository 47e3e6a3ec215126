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

/** Checks an integer option (`Infinity` allowed for limits); `name` is what the error shows. */
export function checkInteger(caller: string, name: string, value: unknown, min = 1): void {
  if (
    typeof value !== 'number' ||
    !(value >= min) ||
    (value !== Infinity && !Number.isSafeInteger(value))
  ) {
    throw new TypeError(
      `${caller}: ${name} must be an integer of at least ${String(min)} (got ${describe(value)})`,
    );
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
