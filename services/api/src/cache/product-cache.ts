import { randomInt } from 'node:crypto';
import {
  CACHE_ENTRY,
  CACHE_GENERATION_TTL_SECONDS,
  type CacheKeys,
  type Product,
  productSchema,
} from '@zocket/contracts';
import type { Logger } from '@zocket/service-kit';
import type { Redis } from 'ioredis';
import type { ApiMetrics } from '../observability/metrics.js';
import { type CacheCommands, defineCacheCommands } from './cache-commands.js';
import { ConnectionRunId } from './connection-run-id.js';
import { EntryBatch } from './entry-batch.js';
import { SingleFlight } from './single-flight.js';

/**
 * Cache-aside for products by id, never stale after a committed write (see CACHE_SCRIPTS for the
 * generation protocol). Redis failures degrade to PostgreSQL reads; they never fail a request.
 *
 * An entry is the product's JSON exactly as the API answers it, after the run id of the Redis
 * instance that stored it (CACHE_ENTRY): validated against productSchema when it is written, so a
 * hit is sent as stored, without parsing. The key carries the format's version (`product:v2:`), so
 * a deploy that changes the shape never reads an older entry.
 *
 * Concurrent misses for one product and one generation share a single PostgreSQL read. Keying the
 * shared read by generation keeps the protocol's promise: a read that starts after a write was
 * acknowledged sees the bumped generation, so it never joins a read that may predate the write.
 */
export class ProductCache {
  /**
   * Products written while Redis was unreachable: their cached copy (if any) may predate the
   * write, so this process bypasses it until an invalidation has gone through.
   */
  private readonly unconfirmed = new Set<string>();
  private readonly commands: CacheCommands;
  private readonly entries: EntryBatch;
  private readonly runId: ConnectionRunId;
  private readonly loads = new SingleFlight<string | undefined>();
  /** Failed Redis calls since the cache became unavailable (undefined while it is available). */
  private failuresWhileDown: number | undefined;

  constructor(
    redis: Redis,
    private readonly keys: CacheKeys,
    private readonly ttlSeconds: number,
    private readonly metrics: ApiMetrics,
    private readonly logger: Logger,
  ) {
    this.commands = defineCacheCommands(redis);
    this.entries = new EntryBatch(redis);
    this.runId = new ConnectionRunId(redis);
    redis.on('ready', () => {
      for (const id of this.unconfirmed) void this.invalidate(id);
    });
  }

  /** Whether cached reads currently check entries against a run id learned on this connection (tests). */
  get knowsRunId(): boolean {
    return this.runId.current() !== undefined;
  }

  /** The product as a parsed value (the procedures' path). */
  async get(id: string, load: () => Promise<Product | undefined>): Promise<Product | undefined> {
    const json = await this.getJson(id, load);
    return json === undefined ? undefined : (JSON.parse(json) as Product);
  }

  /**
   * A cached entry's JSON bytes only, or undefined on a miss (or when Redis is down, the product is
   * unconfirmed, or the connection's run id is not known yet): the fast read path answers a hit
   * with them and leaves everything else to `getJson`.
   */
  async peek(id: string): Promise<Buffer | undefined> {
    if (this.unconfirmed.size > 0 && this.unconfirmed.has(id)) return undefined;
    // The entry must have been stored by the instance behind this connection (a snapshot brings
    // back older ones), and the answer must have come over that connection (see ConnectionRunId).
    const token = this.runId.current();
    if (token === undefined) return undefined;
    try {
      const entry = await this.entries.get(this.keys.product(id));
      if (entry === null || !this.runId.answeredOn(token)) return undefined;
      const json = CACHE_ENTRY.jsonOnRun(entry, token.runIdBytes);
      if (json === undefined) return undefined;
      this.onSuccess();
      this.metrics.cache.inc({ result: 'hit' });
      return json;
    } catch {
      return undefined; // getJson reports the failure and falls back to PostgreSQL
    }
  }

  /** The product's JSON as the API answers it, from Redis or (once per generation) PostgreSQL. */
  async getJson(id: string, load: () => Promise<Product | undefined>): Promise<string | undefined> {
    const loadJson = async () => {
      const product = await load();
      return product === undefined ? undefined : JSON.stringify(productSchema.parse(product));
    };
    if (this.unconfirmed.has(id) && !(await this.invalidate(id))) return loadJson();
    const key = this.keys.product(id);
    const genKey = this.keys.productGeneration(id);
    let generation: string;
    try {
      // The entry, or the generation to fill under, in one atomic step (see CACHE_SCRIPTS).
      const [found, value] = await this.commands.readOrGeneration(
        key,
        genKey,
        String(randomInt(1, 2 ** 47)),
        CACHE_GENERATION_TTL_SECONDS,
      );
      this.onSuccess();
      if (found === 1) {
        this.metrics.cache.inc({ result: 'hit' });
        return value;
      }
      this.metrics.cache.inc({ result: 'miss' });
      generation = String(value);
    } catch (error) {
      this.onError('read', id, error);
      return loadJson();
    }
    return this.loads.run(`${id}:${generation}`, async () => {
      const json = await loadJson();
      if (json === undefined) return undefined;
      try {
        const stored = await this.commands.fillIfUnchanged(
          key,
          genKey,
          generation,
          json,
          this.ttlSeconds,
        );
        this.metrics.cache.inc({ result: stored === 1 ? 'fill' : 'fill_skipped' });
      } catch (error) {
        this.onError('fill', id, error);
      }
      return json;
    });
  }

  /**
   * Call after the write committed and before acknowledging it. Never throws; returns whether
   * Redis confirmed it (if not, it is retried before this process reads the product from cache).
   */
  async invalidate(id: string): Promise<boolean> {
    try {
      await this.commands.invalidate(
        this.keys.product(id),
        this.keys.productGeneration(id),
        this.keys.retiredProduct(id),
        CACHE_GENERATION_TTL_SECONDS,
        this.keys.productChanges,
        id,
      );
      this.onSuccess();
      this.unconfirmed.delete(id);
      this.metrics.cache.inc({ result: 'invalidate' });
      return true;
    } catch (error) {
      this.unconfirmed.add(id);
      this.onError('invalidate', id, error);
      return false;
    }
  }

  /** Logs once per change of state (every failure is counted in the metric), not once per call. */
  private onError(operation: string, productId: string, error: unknown) {
    this.metrics.cache.inc({ result: 'error' });
    if (this.failuresWhileDown === undefined) {
      this.failuresWhileDown = 0;
      this.logger.warn(
        { err: error, operation, productId },
        'product cache unavailable; reading from PostgreSQL until Redis answers again',
      );
    }
    this.failuresWhileDown += 1;
  }

  private onSuccess() {
    if (this.failuresWhileDown === undefined) return;
    this.logger.info({ failures: this.failuresWhileDown }, 'product cache available again');
    this.failuresWhileDown = undefined;
  }
}
