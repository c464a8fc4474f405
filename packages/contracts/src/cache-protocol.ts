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
    product: (productId: string) => `${prefix}:product:v1:${productId}`,
    /** Bumped by every invalidation; a reader may only fill the cache if it has not moved. */
    productGeneration: (productId: string) => `${prefix}:product-gen:${productId}`,
  };
}
export type CacheKeys = ReturnType<typeof cacheKeys>;

/**
 * The cache protocol shared by every writer (API, image processor) and the API's readers.
 *
 * A reader that misses takes the generation (creating it with a random start value if absent),
 * reads PostgreSQL, then stores the product only if the generation is unchanged. A writer, after
 * its transaction commits, increments the generation and deletes the entry. So a reader that
 * raced a writer and read the old row can never store it.
 */
export const CACHE_SCRIPTS = {
  /** KEYS[1]=generation key; ARGV[1]=random start value, ARGV[2]=ttl seconds. Returns the generation. */
  readGeneration: `
local g = redis.call('GET', KEYS[1])
if not g then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return ARGV[1]
end
return g`,
  /**
   * readGeneration with the value read in the same step: KEYS[1]=value key, KEYS[2]=generation
   * key; ARGV as readGeneration. Returns {1, json} on a hit, {0, generation} on a miss. Atomic, so
   * a miss never reads the generation after another reader's fill (which would start a second
   * load of the same product).
   */
  readOrGeneration: `
local v = redis.call('GET', KEYS[1])
if v then return {1, v} end
local g = redis.call('GET', KEYS[2])
if not g then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
  return {0, ARGV[1]}
end
return {0, g}`,
  /** KEYS[1]=value key, KEYS[2]=generation key; ARGV[1]=expected generation, ARGV[2]=json, ARGV[3]=ttl. */
  fillIfUnchanged: `
if redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`,
  /** KEYS[1]=value key, KEYS[2]=generation key; ARGV[1]=generation ttl seconds. */
  invalidate: `
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`,
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
    2,
    keys.product(productId),
    keys.productGeneration(productId),
    CACHE_GENERATION_TTL_SECONDS,
  );
}
