import { randomInt } from 'node:crypto';
import {
  CACHE_GENERATION_TTL_SECONDS,
  CACHE_SCRIPTS,
  type CacheKeys,
  invalidateCachedProduct,
  type Product,
  productSchema,
} from '@zocket/contracts';
import type { Logger } from '@zocket/service-kit';
import type { Redis } from 'ioredis';
import type { ApiMetrics } from '../observability/metrics.js';

/**
 * Cache-aside for products by id, never stale after a committed write (see CACHE_SCRIPTS for the
 * generation protocol). Redis failures degrade to PostgreSQL reads; they never fail a request.
 */
export class ProductCache {
  /**
   * Products written while Redis was unreachable: their cached copy (if any) may predate the
   * write, so this process bypasses it until an invalidation has gone through.
   */
  private readonly unconfirmed = new Set<string>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: CacheKeys,
    private readonly ttlSeconds: number,
    private readonly metrics: ApiMetrics,
    private readonly logger: Logger,
  ) {
    redis.on('ready', () => {
      for (const id of this.unconfirmed) void this.invalidate(id);
    });
  }

  async get(id: string, load: () => Promise<Product | undefined>): Promise<Product | undefined> {
    if (this.unconfirmed.has(id) && !(await this.invalidate(id))) return load();
    const key = this.keys.product(id);
    const genKey = this.keys.productGeneration(id);
    let generation: string | undefined;
    try {
      const cached = await this.redis.get(key);
      if (cached !== null) {
        const parsed = productSchema.safeParse(JSON.parse(cached));
        if (parsed.success) {
          this.metrics.cache.inc({ result: 'hit' });
          return parsed.data;
        }
      }
      this.metrics.cache.inc({ result: 'miss' });
      generation = String(
        await this.redis.eval(
          CACHE_SCRIPTS.readGeneration,
          1,
          genKey,
          String(randomInt(1, 2 ** 47)),
          CACHE_GENERATION_TTL_SECONDS,
        ),
      );
    } catch (error) {
      this.onError('read', id, error);
    }
    const product = await load();
    if (product === undefined || generation === undefined) return product;
    try {
      const stored = await this.redis.eval(
        CACHE_SCRIPTS.fillIfUnchanged,
        2,
        key,
        genKey,
        generation,
        JSON.stringify(product),
        this.ttlSeconds,
      );
      this.metrics.cache.inc({ result: stored === 1 ? 'fill' : 'fill_skipped' });
    } catch (error) {
      this.onError('fill', id, error);
    }
    return product;
  }

  /**
   * Call after the write committed and before acknowledging it. Never throws; returns whether
   * Redis confirmed it (if not, it is retried before this process reads the product from cache).
   */
  async invalidate(id: string): Promise<boolean> {
    try {
      await invalidateCachedProduct(this.redis, this.keys, id);
      this.unconfirmed.delete(id);
      this.metrics.cache.inc({ result: 'invalidate' });
      return true;
    } catch (error) {
      this.unconfirmed.add(id);
      this.onError('invalidate', id, error);
      return false;
    }
  }

  private onError(operation: string, productId: string, error: unknown) {
    this.metrics.cache.inc({ result: 'error' });
    this.logger.warn({ err: error, operation, productId }, 'product cache unavailable');
  }
}
