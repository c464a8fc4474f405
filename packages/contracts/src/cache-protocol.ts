/*
 * The Redis cache protocol: key names and the scripts every reader and writer runs. It is a
 * format shared by two processes like an event schema (the API fills and invalidates, the image
 * processor invalidates), so a change here must reach both; the Redis client itself is wiring
 * and lives in @zocket/service-kit.
 */

/**
 * Redis key builder. The prefix lets tests (and several deployments sharing a Redis) isolate
 * themselves; the version segment lets a change of the cached shape start from an empty cache.
 */
export function cacheKeys(prefix = 'zocket') {
  return {
    /** A product's entry (see CACHE_ENTRY): the run id that stored it, then the product's JSON. */
    product: (productId: string) => `${prefix}:product:v2:${productId}`,
    /**
     * The entry key of the previous format (the JSON alone, checked against the generation's
     * `r`). Invalidations delete it too, so that during a rolling deploy a process of the earlier
     * release never serves an entry that a write through this release made stale.
     */
    retiredProduct: (productId: string) => `${prefix}:product:v1:${productId}`,
    /**
     * A hash: `g`, bumped by every invalidation (a reader may only fill the cache if it has not
     * moved). Entries of the previous format kept their run id here, in `r`.
     */
    productGeneration: (productId: string) => `${prefix}:product-gen:v2:${productId}`,
    /** Pub/sub channel: a product id is published after each invalidation (the live doorbell). */
    productChanges: `${prefix}:product-changed`,
  };
}
export type CacheKeys = ReturnType<typeof cacheKeys>;

/** Lua: the run id of the Redis instance running the script; a restart (even from a snapshot) changes it. */
const RUN_ID = `local rid = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')`;

/**
 * A cached entry is the run id of the Redis instance that stored it (always 40 hex characters)
 * followed by the product's JSON, so that a reader who knows the run id of the instance it talks
 * to checks an entry with a plain `GET`, without a script: a script per hit cost the API and Redis
 * measurably more CPU than a `GET` (docs/performance.md).
 */
const RUN_ID_LENGTH = 40;

export const CACHE_ENTRY = {
  runIdLength: RUN_ID_LENGTH,
  /** The JSON of `entry` if the instance `runId` (40 ASCII bytes) stored it, else undefined. */
  jsonOnRun(entry: Buffer, runId: Buffer): Buffer | undefined {
    const n = RUN_ID_LENGTH;
    return entry.length > n && entry.compare(runId, 0, n, 0, n) === 0
      ? entry.subarray(n)
      : undefined;
  },
};

/**
 * The cache protocol shared by every writer (API, image processor) and the API's readers.
 *
 * A reader that misses takes the generation (creating it with a random start value if absent),
 * reads PostgreSQL, then stores the product only if the generation is unchanged. A writer, after
 * its transaction commits, increments the generation and deletes the entry. So a reader that
 * raced a writer and read the old row can never store it.
 *
 * Both the entry and the generation a reader took are tied to the Redis instance's run id: a
 * Redis restarted from a snapshot brings back old entries and old generations together, and
 * neither may then be used, since writes that came after the snapshot bumped generations that
 * the snapshot does not hold. A hit is a plain read (the API batches them into `MGET`) by a
 * reader that learned the run id on its connection (see the API's connection-run-id.ts); the
 * scripts ask Redis for it.
 */
export const CACHE_SCRIPTS = {
  /**
   * A read, or on a miss the generation to fill under, in one atomic step: KEYS[1]=entry key,
   * KEYS[2]=generation key; ARGV[1]=random start value of an absent generation, ARGV[2]=its ttl
   * seconds. Returns {1, json} on a hit, {0, `<run id>|<generation>`} on a miss (an entry stored by
   * another instance is a miss). Atomic, so a miss never reads the generation after another
   * reader's fill (which would start a second load of the same product).
   */
  readOrGeneration: `
${RUN_ID}
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, ${RUN_ID_LENGTH}) == rid then return {1, string.sub(v, ${RUN_ID_LENGTH + 1})} end
local g = redis.call('HGET', KEYS[2], 'g')
if not g then
  redis.call('HSET', KEYS[2], 'g', ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  g = ARGV[1]
end
return {0, rid .. '|' .. g}`,
  /**
   * KEYS[1]=entry key, KEYS[2]=generation key; ARGV[1]=what readOrGeneration returned on the miss, ARGV[2]=json,
   * ARGV[3]=ttl. Stores the entry (run id, then json) if the generation has not moved.
   */
  fillIfUnchanged: `
${RUN_ID}
if rid .. '|' .. (redis.call('HGET', KEYS[2], 'g') or '') == ARGV[1] then
  redis.call('SET', KEYS[1], rid .. ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`,
  /**
   * KEYS[1]=entry key, KEYS[2]=generation key, KEYS[3]=the previous format's entry key;
   * ARGV[1]=generation ttl seconds; optional ARGV[2]=changes channel, ARGV[3]=product id: rings the
   * live-status doorbell in the same step, so every writer that invalidates (API and processor,
   * retried until Redis confirms) also rings.
   */
  invalidate: `
redis.call('HINCRBY', KEYS[2], 'g', 1)
redis.call('EXPIRE', KEYS[2], ARGV[1])
local deleted = redis.call('DEL', KEYS[1], KEYS[3])
if ARGV[2] then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return deleted`,
} as const;

/** Generations outlive any read by far; they only expire so deleted products leave nothing. */
export const CACHE_GENERATION_TTL_SECONDS = 7 * 24 * 3600;

/** The one Redis call a cache client needs for the protocol (ioredis's `eval` fits). */
export interface CacheScriptRunner {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** The writer's step of the protocol: call after the write committed. Throws if Redis fails. */
export async function invalidateCachedProduct(
  redis: CacheScriptRunner,
  keys: CacheKeys,
  productId: string,
): Promise<void> {
  await redis.eval(
    CACHE_SCRIPTS.invalidate,
    3,
    keys.product(productId),
    keys.productGeneration(productId),
    keys.retiredProduct(productId),
    CACHE_GENERATION_TTL_SECONDS,
    keys.productChanges,
    productId,
  );
}
