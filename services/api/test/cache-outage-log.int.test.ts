import { Writable } from 'node:stream';
import { cacheKeys, type Product } from '@zocket/contracts';
import { CACHE_CLIENT_OPTIONS } from '@zocket/service-kit';
import {
  createTcpProxy,
  type TcpProxy,
  testKeyPrefix,
  testServices,
  viaProxy,
  waitFor,
} from '@zocket/testkit';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProductCache } from '../src/cache/product-cache.js';
import { createApiMetrics } from '../src/observability/metrics.js';

/* During a Redis outage the cache logs each change of state once, not every failed read. */
let proxy: TcpProxy;
let redis: Redis;
const lines: { level: number; msg: string; failures?: number }[] = [];

beforeAll(async () => {
  const url = new URL(testServices().redisUrl);
  proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
  redis = new Redis(viaProxy(testServices().redisUrl, proxy), { ...CACHE_CLIENT_OPTIONS });
  redis.on('error', () => {});
  await redis.connect();
});
afterAll(async () => {
  redis?.disconnect();
  await proxy?.close();
});

describe('the product cache during a Redis outage', () => {
  it('logs the outage once, with a count of failures when Redis is back', async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const cache = new ProductCache(
      redis,
      cacheKeys(testKeyPrefix('outage-log')),
      60,
      createApiMetrics(),
      logger,
    );
    const load = async () => undefined as Product | undefined;
    const id = '0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

    await cache.get(id, load);
    proxy.cut();
    await waitFor(() => (redis.status === 'ready' ? undefined : true), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the client to notice the outage',
    });
    for (let i = 0; i < 200; i++) await cache.get(id, load);
    await cache.invalidate(id);
    const warnings = () => lines.filter((l) => l.level === 40);
    expect(warnings()).toHaveLength(1);

    proxy.restore();
    await waitFor(() => (redis.status === 'ready' ? true : undefined), {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: 'the client to reconnect',
    });
    await cache.get(id, load);
    const back = lines.filter((l) => l.level === 30);
    expect(back).toHaveLength(1);
    expect(back[0]?.failures).toBeGreaterThanOrEqual(201);

    proxy.cut();
    await waitFor(() => (redis.status === 'ready' ? undefined : true), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: 'the client to notice the second outage',
    });
    for (let i = 0; i < 50; i++) await cache.get(id, load);
    expect(warnings()).toHaveLength(2);
    proxy.restore();
  });
});
