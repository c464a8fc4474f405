import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { testKeyPrefix, waitFor } from '../../src/isolation.js';
import { testServices } from '../../src/services.js';

describe('Redis through ioredis', () => {
  const redis = new Redis(testServices().redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const prefix = testKeyPrefix('redis');
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('sets, gets and expires a key', async () => {
    const key = `${prefix}:greeting`;
    await redis.set(key, 'hello', 'PX', 60_000);
    expect(await redis.get(key)).toBe('hello');
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await redis.pexpire(key, 50);
    await waitFor(async () => ((await redis.exists(key)) === 0 ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the key to expire',
    });
    expect(await redis.get(key)).toBeNull();
  });

  it('changes a ttl with EXPIRE', async () => {
    const key = `${prefix}:counter`;
    await redis.set(key, '1');
    expect(await redis.pttl(key)).toBe(-1);
    expect(await redis.expire(key, 60)).toBe(1);
    expect(await redis.ttl(key)).toBeGreaterThan(50);
  });
});
