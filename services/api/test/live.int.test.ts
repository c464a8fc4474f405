import { cacheKeys, invalidateCachedProduct, type Product } from '@zocket/contracts';
import { completeImageJob, createDb, type Db } from '@zocket/db';
import { createLogger } from '@zocket/service-kit';
import { createTcpProxy, type TcpProxy } from '@zocket/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Api, createApi } from '../src/api.js';
import { type ApiWorld, createApiWorld, newSubject, waitFor } from './api-world.js';
import { liveClient, watchProduct } from './live-client.js';

const ready = {
  variants: [
    {
      format: 'webp' as const,
      width: 320,
      height: 240,
      bytes: 1234,
      key: 'variants/v1/abc/320.webp',
      url: 'http://127.0.0.1:9000/zocket/variants/v1/abc/320.webp',
    },
  ],
  placeholder: 'placeholder',
  width: 640,
  height: 480,
  bytes: 50_000,
  contentHash: 'b'.repeat(64),
  profileVersion: 'v1',
};

/** What the image processor does when an image is done: the guarded update, then invalidation. */
async function finishLikeProcessor(db: Db, world: ApiWorld, redis: Redis, imageId: string) {
  const row = await db
    .selectFrom('product_images')
    .select(['job_id', 'product_id'])
    .where('id', '=', imageId)
    .executeTakeFirstOrThrow();
  expect(await completeImageJob(db, { imageId, jobId: row.job_id }, ready)).toBe(true);
  await invalidateCachedProduct(redis, cacheKeys(world.cachePrefix), row.product_id);
}

const url = (n: number) => `https://images.example.com/${n}.jpg`;

describe('products.onChange over SSE, with the doorbell only (poll 60 s)', () => {
  let world: ApiWorld;
  let second: Api;
  let db: Db;
  let redis: Redis;
  let token: string;

  beforeAll(async () => {
    world = await createApiWorld({ env: { LIVE_POLL_INTERVAL_MS: '60000' } });
    // A second API process on the same database, Redis prefix and topics.
    second = createApi(
      { ...world.config, http: { ...world.config.http, port: 0 } },
      createLogger('zocket-api', 'silent'),
    );
    await second.start();
    db = createDb({ url: world.config.db.url, max: 2 });
    redis = new Redis(world.services.redisUrl);
    token = await world.token(newSubject('seller'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await db?.destroy();
    await second?.stop();
    await world?.close();
  });

  it('sends the current images, then pending -> ready when the processor records it', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(1)] });
    const image = product.images[0];
    if (image === undefined) throw new Error('one image expected');
    const watch = watchProduct(liveClient(world.baseUrl), product.id);
    try {
      const first = await watch.until((c) => c.imageId === image.id, 'the snapshot');
      expect(first.image?.status).toBe('pending');
      expect(first.image).toEqual(image);

      await finishLikeProcessor(db, world, redis, image.id);
      const done = await watch.until((c) => c.image?.status === 'ready', 'the ready event');
      // The event carries exactly what byId now serves for the image.
      const byId = await world.call('GET', `/products/${product.id}`);
      expect(done.image).toEqual((byId.body as Product).images[0]);
      expect(done.image?.variants).toHaveLength(1);
      expect(watch.events.map((e) => Number(e.id))).toEqual(
        [...watch.events.map((e) => Number(e.id))].sort((a, b) => a - b),
      );
      expect(watch.duplicates()).toEqual([]);
      expect(watch.errors).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('delivers a change written through another API process to a subscriber on this one', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(2)] });
    const watch = watchProduct(liveClient(world.baseUrl), product.id);
    try {
      await watch.until(() => true, 'the snapshot');
      const other = `http://127.0.0.1:${second.port()}`;
      const res = await fetch(`${other}/products/${product.id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ expectedVersion: product.version, imageUrls: [url(3)] }),
      });
      expect(res.status).toBe(200);
      const replaced = (await res.json()) as Product;
      const added = await watch.until((c) => c.imageId === replaced.images[0]?.id, 'the new image');
      expect(added.image?.source).toEqual({ kind: 'url', url: url(3) });
      const removed = await watch.until((c) => c.image === null, 'the removal');
      expect(removed.imageId).toBe(product.images[0]?.id);
      expect(watch.duplicates()).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('answers NOT_FOUND for an unknown product', async () => {
    const watch = watchProduct(liveClient(world.baseUrl), '00000000-0000-4000-8000-000000000000');
    try {
      const error = await waitFor(() => watch.errors[0], { timeoutMs: 5_000, what: 'an error' });
      expect(error.data?.code).toBe('NOT_FOUND');
    } finally {
      watch.stop();
    }
  });

  it('refuses more subscriptions per user than allowed with TOO_MANY_REQUESTS', async () => {
    const limited = createApi(
      {
        ...world.config,
        http: { ...world.config.http, port: 0 },
        live: { ...world.config.live, maxPerUser: 2 },
      },
      createLogger('zocket-api', 'silent'),
    );
    await limited.start();
    const client = liveClient(`http://127.0.0.1:${limited.port()}`, token);
    const product = await world.createProduct(token, { imageUrls: [url(4)] });
    const watches = [1, 2].map(() => watchProduct(client, product.id));
    try {
      for (const w of watches) await w.until(() => true, 'the snapshot');
      const third = watchProduct(client, product.id);
      watches.push(third);
      const error = await waitFor(() => third.errors[0], { timeoutMs: 5_000, what: 'an error' });
      expect(error.data?.code).toBe('TOO_MANY_REQUESTS');
      expect(third.events).toEqual([]);
      // A slot freed by unsubscribing can be taken again.
      watches[0]?.stop();
      await waitFor(() => (limited.ctx.live.limits.open === 1 ? true : undefined), {
        timeoutMs: 5_000,
        what: 'the slot to be freed',
      });
      const fourth = watchProduct(client, product.id);
      watches.push(fourth);
      await fourth.until(() => true, 'the snapshot');
    } finally {
      for (const w of watches) w.stop();
      await limited.stop();
    }
  });
});

describe('products.onChange through Redis outages, stream ends and shutdown', () => {
  let world: ApiWorld;
  let proxy: TcpProxy;
  let db: Db;
  let redis: Redis;
  let token: string;

  beforeAll(async () => {
    const services = (await import('@zocket/testkit')).testServices();
    const target = new URL(services.redisUrl);
    proxy = await createTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    world = await createApiWorld({
      env: {
        REDIS_URL: `redis://${proxy.address}`,
        LIVE_POLL_INTERVAL_MS: '1000',
        LIVE_MAX_DURATION_MS: '3000',
      },
    });
    db = createDb({ url: world.config.db.url, max: 2 });
    redis = new Redis(world.services.redisUrl);
    token = await world.token(newSubject('seller'));
  });
  afterAll(async () => {
    proxy?.restore();
    redis?.disconnect();
    await db?.destroy();
    await world?.close();
    await proxy?.close();
  });

  it('replays exactly the missed changes to a client resuming by lastEventId after a Redis cut', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(5), url(6), url(7)] });
    const [a, b, c] = product.images;
    if (a === undefined || b === undefined || c === undefined) throw new Error('three images');
    const client = liveClient(world.baseUrl);
    const first = watchProduct(client, product.id);
    await first.until((ch) => ch.imageId === c.id, 'the snapshot');
    await finishLikeProcessor(db, world, redis, a.id);
    await first.until((ch) => ch.imageId === a.id && ch.image?.status === 'ready', 'a ready');
    const lastSeen = first.events.at(-1)?.id as string;
    first.stop();

    proxy.cut(); // Redis is gone for the API: no doorbell, invalidations fail
    await finishLikeProcessor(db, world, redis, b.id); // the processor's Redis still works
    await finishLikeProcessor(db, world, redis, c.id);

    const resumed = watchProduct(client, product.id, lastSeen);
    try {
      await resumed.until((ch) => ch.imageId === c.id && ch.image?.status === 'ready', 'c ready');
      await resumed.until((ch) => ch.imageId === b.id && ch.image?.status === 'ready', 'b ready');
      proxy.restore(); // the doorbell comes back and every subscription reads again
      await new Promise((r) => setTimeout(r, 1_500));
      expect(resumed.events.map((e) => e.change.imageId)).toEqual([b.id, c.id]);
      expect(resumed.events.every((e) => Number(e.id) > Number(lastSeen))).toBe(true);
      expect(resumed.duplicates()).toEqual([]);
    } finally {
      resumed.stop();
      proxy.restore();
    }
  });

  it('still delivers through the poll while Redis is cut', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(8)] });
    const image = product.images[0];
    if (image === undefined) throw new Error('one image expected');
    const watch = watchProduct(liveClient(world.baseUrl), product.id);
    try {
      await watch.until(() => true, 'the snapshot');
      proxy.cut();
      await finishLikeProcessor(db, world, redis, image.id);
      await watch.until((ch) => ch.image?.status === 'ready', 'ready through the poll', 5_000);
    } finally {
      watch.stop();
      proxy.restore();
    }
  });

  it('resumes after the maximum stream duration without losing or repeating a change', async () => {
    const product = await world.createProduct(token, { imageUrls: [url(9), url(10)] });
    const [a, b] = product.images;
    if (a === undefined || b === undefined) throw new Error('two images');
    const watch = watchProduct(liveClient(world.baseUrl), product.id);
    try {
      await watch.until((ch) => ch.imageId === b.id, 'the snapshot');
      // Past LIVE_MAX_DURATION_MS the server ends the stream and the client reconnects by id.
      await new Promise((r) => setTimeout(r, 3_500));
      await finishLikeProcessor(db, world, redis, a.id);
      await watch.until((ch) => ch.image?.status === 'ready', 'a ready after the reconnect');
      expect(watch.events.map((e) => e.change.imageId)).toEqual([a.id, b.id, a.id]);
      expect(watch.duplicates()).toEqual([]);
      expect(watch.errors).toEqual([]);
    } finally {
      watch.stop();
    }
  });

  it('ends open streams at shutdown instead of waiting for the drain timeout', async () => {
    const api = createApi(
      { ...world.config, http: { ...world.config.http, port: 0, shutdownTimeoutMs: 10_000 } },
      createLogger('zocket-api', 'silent'),
    );
    await api.start();
    const product = await world.createProduct(token, { imageUrls: [url(11)] });
    const watch = watchProduct(liveClient(`http://127.0.0.1:${api.port()}`), product.id);
    try {
      await watch.until(() => true, 'the snapshot');
      expect(api.ctx.live.limits.open).toBe(1);
      const started = Date.now();
      await api.stop();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(api.ctx.live.limits.open).toBe(0);
    } finally {
      watch.stop();
    }
  });
});
