import { CACHE_SCRIPTS } from '@zocket/contracts';
import type { Redis } from 'ioredis';

/**
 * The cache protocol's scripts as ioredis commands (a hit is a plain read, see EntryBatch): sent
 * once and then run by SHA (EVALSHA), so a miss or an invalidation does not ship the script text on
 * every call. ioredis falls back to EVAL by itself when Redis answers NOSCRIPT (after a restart or
 * SCRIPT FLUSH).
 */
export interface CacheCommands {
  /** [1, json] on a hit, [0, `<run id>|<generation>`] on a miss. */
  readOrGeneration(
    key: string,
    genKey: string,
    start: string,
    ttlSeconds: number,
  ): Promise<[number, string]>;
  fillIfUnchanged(
    key: string,
    genKey: string,
    generation: string,
    json: string,
    ttlSeconds: number,
  ): Promise<unknown>;
  /**
   * Bumps the generation, deletes the entry (and the previous format's, `retiredKey`) and rings the
   * live-status doorbell (`channel`).
   */
  invalidate(
    key: string,
    genKey: string,
    retiredKey: string,
    genTtlSeconds: number,
    channel: string,
    productId: string,
  ): Promise<unknown>;
}

type Command = (...args: (string | number)[]) => Promise<unknown>;

export function defineCacheCommands(redis: Redis): CacheCommands {
  const commands = redis as unknown as Record<string, Command | undefined>;
  const define = (name: string, numberOfKeys: number, lua: string): Command => {
    if (commands[name] === undefined) redis.defineCommand(name, { numberOfKeys, lua });
    const command = commands[name] as Command;
    return (...args) => command.apply(redis, args);
  };
  const readOrGeneration = define('zocketReadOrGeneration', 2, CACHE_SCRIPTS.readOrGeneration);
  const fillIfUnchanged = define('zocketFillIfUnchanged', 2, CACHE_SCRIPTS.fillIfUnchanged);
  const invalidate = define('zocketInvalidate', 3, CACHE_SCRIPTS.invalidate);
  return {
    readOrGeneration: async (key, genKey, start, ttl) =>
      (await readOrGeneration(key, genKey, start, ttl)) as [number, string],
    fillIfUnchanged: (key, genKey, generation, json, ttl) =>
      fillIfUnchanged(key, genKey, generation, json, ttl),
    invalidate: (key, genKey, retiredKey, ttl, channel, productId) =>
      invalidate(key, genKey, retiredKey, ttl, channel, productId),
  };
}
