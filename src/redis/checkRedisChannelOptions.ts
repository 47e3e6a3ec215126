import type { RedisClientType } from 'redis';
import { checkFunction, checkInteger, maxTimerDelay } from '../check.js';
import { describe } from '../describe.js';
import { checkChannelOptions, type CheckedChannelOptions } from '../channel/options.js';
import { logError } from '../engine/report.js';
import type { RedisChannelOptions } from './createRedisChannel.js';

/** What a Redis channel works with, checked, with every default filled in. */
export interface RedisChannelSetup {
  readonly client: RedisClientType;
  readonly key: string;
  readonly checked: CheckedChannelOptions;
  readonly deserialize: (text: string) => unknown;
  /** `options.onError`, made safe to call: one that throws is logged. */
  readonly report: (error: unknown) => void;
  /** How long one XREAD blocks, in ms. */
  readonly block: number;
}

/** How many entries one XRANGE (a replay) or XREAD (the reader) asks for. */
export const batchSize = 500;

/** Checks {@link createRedisChannel}'s arguments, before anything connects. */
export function checkRedisChannelOptions(
  client: RedisClientType,
  key: string,
  options: RedisChannelOptions,
): RedisChannelSetup {
  const checked = checkChannelOptions('createRedisChannel', options, [
    'deserialize',
    'onError',
    'block',
  ]);
  const { deserialize = JSON.parse, onError = logError, block = 5000 } = options;
  const given: unknown = client;
  if (typeof given !== 'object' || given === null || typeof client.duplicate !== 'function') {
    throw new TypeError(
      `createRedisChannel: client must be a node-redis client from createClient() (got ${describe(given)})`,
    );
  }
  if (typeof key !== 'string' || key === '') {
    throw new TypeError(
      `createRedisChannel: key must be a non-empty string (got ${describe(key)})`,
    );
  }
  if (checked.maxEvents < 1) {
    throw new TypeError(
      'createRedisChannel: options.maxEvents must be at least 1: the reader reads what the stream keeps',
    );
  }
  checkFunction('createRedisChannel', 'options.deserialize', deserialize);
  checkFunction('createRedisChannel', 'options.onError', onError);
  checkInteger('createRedisChannel', 'options.block (ms)', block, 1, maxTimerDelay);
  const report = (error: unknown): void => {
    try {
      onError(error);
    } catch (thrown) {
      logError(new Error('rx-sse/redis: options.onError threw', { cause: thrown }));
    }
  };
  return { client, key, checked, deserialize, report, block };
}
