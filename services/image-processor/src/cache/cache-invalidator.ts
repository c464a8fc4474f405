import { type CacheKeys, invalidateCachedProduct } from '@zocket/contracts';
import type { Logger } from '@zocket/service-kit';
import type { Redis } from 'ioredis';

/**
 * Deletes a product's cached copy after the processor wrote its images (the generation protocol of
 * CACHE_SCRIPTS, shared with the API).
 *
 * `invalidate` throws when Redis does not confirm; the success path then retries the whole job,
 * whose redelivery repeats only the invalidation. A job that ends `failed` is not retried, so its
 * invalidation is kept here instead (`invalidateLater`) and sent again when Redis is back, and
 * every `retryMs` until it goes through. Kept in memory: if the process dies first, the cached
 * copy expires after the API's CACHE_TTL_SECONDS.
 */
export class CacheInvalidator {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;

  constructor(
    private readonly redis: Pick<Redis, 'eval' | 'on'>,
    private readonly keys: CacheKeys,
    private readonly logger: Logger,
    private readonly retryMs = 5_000,
  ) {
    redis.on('ready', () => void this.flush());
  }

  async invalidate(productId: string): Promise<void> {
    await invalidateCachedProduct(this.redis, this.keys, productId);
    this.pending.delete(productId);
  }

  /** Invalidates now if Redis answers, else keeps the product to invalidate once it does. */
  async invalidateLater(productId: string): Promise<void> {
    try {
      await this.invalidate(productId);
    } catch (error) {
      this.logger.warn(
        { err: error, productId },
        'cache invalidation failed; retrying when Redis is back',
      );
      this.pending.add(productId);
      this.schedule();
    }
  }

  /** Products whose invalidation has not gone through yet. */
  get backlog(): number {
    return this.pending.size;
  }

  /** Sends every pending invalidation; stops at the first failure and tries again later. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        for (const productId of [...this.pending]) {
          try {
            await this.invalidate(productId);
          } catch {
            this.schedule();
            return;
          }
        }
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.retryMs);
    this.timer.unref();
  }
}
