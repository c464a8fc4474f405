import { cacheKeys } from '@zocket/contracts';
import { CACHE_CLIENT_OPTIONS, createLogger } from '@zocket/service-kit';
import {
  createTcpProxy,
  type TcpProxy,
  testKeyPrefix,
  testServices,
  viaProxy,
  waitFor,
} from '@zocket/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CacheInvalidator } from '../src/cache/cache-invalidator.js';

describe('CacheInvalidator against real Redis', () => {
  const keys = cacheKeys(testKeyPrefix('invalidator'));
  let proxy: TcpProxy;
  let direct: Redis;
  let viaCut: Redis;
  let invalidator: CacheInvalidator;

  beforeAll(async () => {
    const url = new URL(testServices().redisUrl);
    proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    direct = new Redis(testServices().redisUrl, { lazyConnect: true });
    viaCut = new Redis(viaProxy(testServices().redisUrl, proxy), { ...CACHE_CLIENT_OPTIONS });
    viaCut.on('error', () => {});
    await Promise.all([direct.connect(), viaCut.connect()]);
    invalidator = new CacheInvalidator(
      viaCut,
      keys,
      createLogger('zocket-image-processor', 'silent'),
      200,
    );
  });

  afterAll(async () => {
    invalidator?.stop();
    viaCut?.disconnect();
    direct?.disconnect();
    await proxy?.close();
  });

  it('deletes the cached product at once when Redis answers', async () => {
    await direct.set(keys.product('p-now'), '{"cached":true}');
    await invalidator.invalidateLater('p-now');
    expect(await direct.exists(keys.product('p-now'))).toBe(0);
    expect(invalidator.backlog).toBe(0);
  });

  it('keeps an invalidation Redis did not confirm and sends it once Redis is back', async () => {
    await direct.set(keys.product('p-later'), '{"cached":true}');
    proxy.cut();
    try {
      await invalidator.invalidateLater('p-later');
      expect(invalidator.backlog).toBe(1);
      expect(await direct.exists(keys.product('p-later'))).toBe(1);
    } finally {
      proxy.restore();
    }
    await waitFor(
      async () => ((await direct.exists(keys.product('p-later'))) === 0 ? true : undefined),
      { timeoutMs: 20_000, what: 'the pending invalidation to go through' },
    );
    expect(invalidator.backlog).toBe(0);
  });
});
