import { type Db, latestImageChanges } from '@zocket/db';
import type { Logger } from '@zocket/service-kit';
import { Redis } from 'ioredis';
import type { ApiMetrics } from '../observability/metrics.js';

/** One subscription's doorbell: `wait` resolves when it rang (even before the call), on timeout or abort. */
export interface Doorbell {
  wait(timeoutMs: number, signal: AbortSignal): Promise<void>;
  close(): void;
}

/**
 * The live-status doorbell: one Redis subscriber connection per API process, on the channel the
 * cache invalidation script publishes a product id to after every committed change. A ring only
 * says "read PostgreSQL again"; missed rings (Redis away) are covered by the subscriptions' slow
 * poll, and every doorbell rings once when the connection comes back.
 */
export class ChangeHub {
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<() => void>>();
  /** The newest change number the poll saw per watched product. */
  private readonly polled = new Map<string, number>();
  private wasReady = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    redisUrl: string,
    private readonly channel: string,
    private readonly db: Db,
    private readonly pollIntervalMs: number,
    private readonly metrics: ApiMetrics,
    private readonly logger: Logger,
  ) {
    // Its own connection: a subscribed connection can run no other command.
    this.subscriber = new Redis(redisUrl, {
      lazyConnect: true,
      connectTimeout: 2_000,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    this.subscriber.on('error', (error) =>
      logger.debug({ err: error }, 'doorbell connection error'),
    );
    this.subscriber.on('message', (_channel: string, productId: string) => {
      this.metrics.liveDoorbells.inc();
      for (const ring of this.listeners.get(productId) ?? []) ring();
    });
    this.subscriber.on('ready', () => {
      // Rings published while the connection was down are lost: every subscription reads again.
      if (this.wasReady) this.ringAll();
      this.wasReady = true;
    });
  }

  async start(): Promise<void> {
    this.pollTimer ??= setInterval(() => void this.poll(), this.pollIntervalMs);
    this.pollTimer.unref();
    try {
      await this.subscriber.connect();
      await this.subscriber.subscribe(this.channel);
    } catch (error) {
      // ioredis keeps reconnecting and re-subscribes (autoResubscribe); the poll covers meanwhile.
      this.logger.warn(
        { err: error },
        'redis unavailable at start; live updates fall back to polling',
      );
      if (this.subscriber.status === 'wait') void this.subscriber.connect().catch(() => {});
    }
  }

  stop(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.subscriber.disconnect();
  }

  /** Rings the products whose newest change number moved since the last poll. */
  async poll(): Promise<void> {
    if (this.polling || this.listeners.size === 0) return;
    this.polling = true;
    try {
      const latest = await latestImageChanges(this.db, [...this.listeners.keys()]);
      for (const [productId, seq] of latest) {
        const before = this.polled.get(productId);
        this.polled.set(productId, seq);
        // First sight: the subscription may have read before a change the poll now sees.
        if (seq !== before) {
          for (const ring of this.listeners.get(productId) ?? []) ring();
        }
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'live poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** Calls `ring` whenever `productId` may have changed; the returned function stops it. */
  onRing(productId: string, ring: () => void): () => void {
    let set = this.listeners.get(productId);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(productId, set);
    }
    set.add(ring);
    return () => {
      const current = this.listeners.get(productId);
      current?.delete(ring);
      if (current?.size === 0) {
        this.listeners.delete(productId);
        this.polled.delete(productId);
      }
    };
  }

  /** Registers a doorbell for `productId`; register before reading so no ring is lost. */
  listen(productId: string): Doorbell {
    let rung = false;
    let wake: (() => void) | undefined;
    const off = this.onRing(productId, () => {
      rung = true;
      wake?.();
    });
    return {
      wait: (timeoutMs, signal) => {
        if (rung || signal.aborted) {
          rung = false;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            rung = false;
            resolve();
          };
          const timer = setTimeout(done, timeoutMs);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        });
      },
      close: off,
    };
  }

  private ringAll(): void {
    for (const set of this.listeners.values()) for (const ring of set) ring();
  }
}
