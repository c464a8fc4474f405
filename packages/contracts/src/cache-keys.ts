/**
 * Redis key builder. The prefix lets tests (and several deployments sharing a Redis) isolate
 * themselves; the version segment lets a change of the cached shape start from an empty cache.
 */
export function cacheKeys(prefix = 'zocket') {
  return {
    product: (productId: string) => `${prefix}:product:v1:${productId}`,
  };
}
export type CacheKeys = ReturnType<typeof cacheKeys>;
