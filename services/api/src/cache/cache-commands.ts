import { createHash } from 'node:crypto';
import { CACHE_SCRIPTS } from '@zocket/contracts';
import type { Redis } from 'ioredis';

/**
 * The cache protocol's scripts as ioredis commands: sent once, then run by SHA (EVALSHA), so a
 * read, a miss or an invalidation no longer ships the script text on every call. ioredis falls
 * back to EVAL by itself when Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 */
export interface CacheCommands {
  /**
   * The entry's bytes, or null when absent or stored by an earlier Redis instance (see
   * CACHE_SCRIPTS.read). Bytes, not a string: a hit is written to the socket as it came.
   */
  read(key: string, genKey: string): Promise<Buffer | null>;
  /** `read` against a run id the caller learned on this connection (see CACHE_SCRIPTS.readOnRun). */
  readOnRun(key: string, genKey: string, runId: string): Promise<Buffer | null>;
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
  /** Bumps the generation, deletes the entry and rings the live-status doorbell (`channel`). */
  invalidate(
    key: string,
    genKey: string,
    genTtlSeconds: number,
    channel: string,
    productId: string,
  ): Promise<unknown>;
}

type Command = (...args: (string | number)[]) => Promise<unknown>;
const asBytes = (reply: unknown) => (reply === null ? null : (reply as Buffer));

export function defineCacheCommands(redis: Redis): CacheCommands {
  const commands = redis as unknown as Record<string, Command | undefined>;
  const define = (name: string, numberOfKeys: number, lua: string): Command => {
    if (commands[name] === undefined) redis.defineCommand(name, { numberOfKeys, lua });
    const command = commands[name] as Command;
    return (...args) => command.apply(redis, args);
  };
  define('zocketRead', 2, CACHE_SCRIPTS.read);
  // defineCommand also defines the command's Buffer-returning twin.
  const readBytes = commands.zocketReadBuffer as Command;
  const readOrGeneration = define('zocketReadOrGeneration', 2, CACHE_SCRIPTS.readOrGeneration);
  const fillIfUnchanged = define('zocketFillIfUnchanged', 2, CACHE_SCRIPTS.fillIfUnchanged);
  const invalidate = define('zocketInvalidate', 2, CACHE_SCRIPTS.invalidate);
  // The cached read's own script is sent as a plain EVALSHA: ioredis's script commands add a
  // closure, a promise and a retry wrapper per call, measurable on the hottest path. NOSCRIPT (a
  // fresh or restarted Redis) is answered with EVAL, which also caches the script there.
  const readOnRunSha = createHash('sha1').update(CACHE_SCRIPTS.readOnRun).digest('hex');
  // ioredis has a Buffer twin of every command; its types do not list EVAL's and EVALSHA's.
  const bytes = redis as unknown as Record<'evalshaBuffer' | 'evalBuffer', Command>;
  const readOnRun = async (key: string, genKey: string, runId: string) => {
    try {
      return asBytes(await bytes.evalshaBuffer(readOnRunSha, 2, key, genKey, runId));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return asBytes(await bytes.evalBuffer(CACHE_SCRIPTS.readOnRun, 2, key, genKey, runId));
    }
  };
  return {
    read: async (key, genKey) => asBytes(await readBytes.call(redis, key, genKey)),
    readOnRun,
    readOrGeneration: async (key, genKey, start, ttl) =>
      (await readOrGeneration(key, genKey, start, ttl)) as [number, string],
    fillIfUnchanged: (key, genKey, generation, json, ttl) =>
      fillIfUnchanged(key, genKey, generation, json, ttl),
    invalidate: (key, genKey, ttl, channel, productId) =>
      invalidate(key, genKey, ttl, channel, productId),
  };
}
