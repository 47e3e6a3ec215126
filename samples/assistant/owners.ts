// Who may read which answer: the application's decision, not rx-sse's. This sample's rule: an
// answer asked for with `Authorization: Bearer <token>` is readable only with the same token; one
// asked for without is readable by whoever holds its URL (its id is random and unguessable). The
// owner is kept as a SHA-256 of the token, never the token, beside the answer: in this process's
// memory, or in Redis for every process.
import { createHash } from 'node:crypto';

/** The owners of answers. */
export interface AnswerOwners {
  /** Answer `id` may only be read with `token` from now on. */
  set(id: string, token: string): void | Promise<void>;
  /** Whether a reader with `token` (or none) may read answer `id`. */
  allows(id: string, token: string | undefined): boolean | Promise<boolean>;
}

/** The two commands of a node-redis client these owners use. */
export interface RedisKeys {
  set(key: string, value: string, options: { PX: number }): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

/** The bearer token of an `Authorization` header, if it has one. */
export function bearerOf(header: string | null): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Owners in this process's memory. An owner goes when its answer does: each `set` first forgets
 * those whose answer `exists` says is gone, so the map holds no more than the store does.
 */
export function memoryOwners(exists: (id: string) => boolean): AnswerOwners {
  const owners = new Map<string, string>();
  return {
    set(id, token) {
      for (const known of owners.keys()) if (!exists(known)) owners.delete(known);
      owners.set(id, digest(token));
    },
    allows(id, token) {
      const owner = owners.get(id);
      return owner === undefined || (token !== undefined && digest(token) === owner);
    },
  };
}

/**
 * Owners in Redis, for every process: `<prefix>:<id>` holds the digest, expiring `lifetime` ms
 * after it is set — longer than an answer runs and stays readable (its producer's time plus the
 * store's ttl), or the answer would become readable by anyone.
 */
export function redisOwners(
  client: RedisKeys,
  lifetime: number,
  prefix = 'rx-sse:answer-owner',
): AnswerOwners {
  return {
    async set(id, token) {
      await client.set(`${prefix}:${id}`, digest(token), { PX: lifetime });
    },
    async allows(id, token) {
      const owner = await client.get(`${prefix}:${id}`);
      return owner === null || (token !== undefined && digest(token) === owner);
    },
  };
}
