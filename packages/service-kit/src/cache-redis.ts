import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/**
 * ioredis options every cache client uses: fail fast instead of queueing while Redis is away
 * (readers fall back to PostgreSQL, writers retry their invalidation), and bound a command that
 * was in flight when the connection dropped, which ioredis would otherwise hold until Redis
 * returns (maxRetriesPerRequest does not apply to it).
 */
export const CACHE_CLIENT_OPTIONS = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  commandTimeout: 1_000,
  retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
} as const;

/** The cache's Redis client (not connected yet: `lazyConnect`); connection errors go to debug. */
export function createCacheRedis(
  url: string,
  logger: Logger,
  options: { autoPipelining?: boolean } = {},
): Redis {
  // Auto-pipelining sends the commands issued in one event-loop turn in one socket write: under
  // load a write per command (a syscall each) was the largest single cost of a cached read.
  const redis = new Redis(url, {
    ...CACHE_CLIENT_OPTIONS,
    enableAutoPipelining: options.autoPipelining ?? false,
  });
  redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  return redis;
}
