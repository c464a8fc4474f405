import { CACHE_ENTRY, cacheKeys, type Product } from '@zocket/contracts';
import { findProduct } from '@zocket/db';
import { createTcpProxy, pngImage, type TcpProxy, testServices, viaProxy } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, filesForm, newSubject, waitFor } from './api-world.js';

let world: ApiWorld;
let proxy: TcpProxy;
let owner: string;
let keys: ReturnType<typeof cacheKeys>;

beforeAll(async () => {
  const redisUrl = new URL(testServices().redisUrl);
  proxy = await createTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) });
  world = await createApiWorld({
    env: { REDIS_URL: viaProxy(testServices().redisUrl, proxy), CACHE_TTL_SECONDS: '120' },
  });
  owner = await world.token(newSubject('cache'));
  keys = cacheKeys(world.cachePrefix);
});

afterAll(async () => {
  await world?.close();
  await proxy?.close();
});

async function cacheCount(result: string): Promise<number> {
  const text = await (await world.request('/metrics')).text();
  const match = new RegExp(
    `^zocket_cache_operations_total\\{result="${result}"\\} (\\d+)`,
    'm',
  ).exec(text);
  return Number(match?.[1] ?? 0);
}

const read = (id: string) => world.call('GET', `/products/${id}`);

/** The run id of the Redis the test talks to: every entry the API stores starts with it. */
async function redisRunId(): Promise<string> {
  return /run_id:([0-9a-f]+)/.exec(await world.redis.info('server'))?.[1] as string;
}

async function update(id: string, expectedVersion: number, patch: Record<string, unknown>) {
  const res = await world.call('PATCH', `/products/${id}`, {
    token: owner,
    body: { expectedVersion, ...patch },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Product;
}

describe('byId cache-aside in Redis', () => {
  it('fills the cache on the first read and serves the second read from Redis', async () => {
    const product = await world.createProduct(owner);
    expect(await world.redis.exists(keys.product(product.id))).toBe(0);
    const hitsBefore = await cacheCount('hit');

    const first = await read(product.id);
    expect(first.status).toBe(200);
    const cached = (await world.redis.get(keys.product(product.id))) as string;
    expect(cached).not.toBeNull();
    // The entry: the run id of the instance that stored it, then the JSON (CACHE_ENTRY).
    expect(cached.slice(0, CACHE_ENTRY.runIdLength)).toBe(await redisRunId());
    expect(JSON.parse(cached.slice(CACHE_ENTRY.runIdLength))).toEqual(first.body);
    const ttl = await world.redis.ttl(keys.product(product.id));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120);

    const second = await read(product.id);
    expect(second.body).toEqual(first.body);
    expect(await cacheCount('hit')).toBe(hitsBefore + 1);
  });

  it('answers from the cached copy rather than PostgreSQL on a hit', async () => {
    const product = await world.createProduct(owner, { name: 'Real name' });
    await read(product.id);
    // Rewrite the cached entry only: a hit must return it, proving Redis served the read.
    const key = keys.product(product.id);
    const entry = (await world.redis.get(key)) as string;
    const runId = entry.slice(0, CACHE_ENTRY.runIdLength);
    const cached = JSON.parse(entry.slice(CACHE_ENTRY.runIdLength)) as Product;
    await world.redis.set(
      key,
      runId + JSON.stringify({ ...cached, name: 'Served from Redis' }),
      'KEEPTTL',
    );
    expect((await read(product.id)).body.name).toBe('Served from Redis');
  });

  it('never reads an entry cached under another schema version', async () => {
    // Hits are sent as stored, so the key's version segment is what keeps an old shape out.
    const product = await world.createProduct(owner, { name: 'Schema checked' });
    const current = keys.product(product.id);
    expect(current).toContain(':product:v2:');
    expect(keys.retiredProduct(product.id)).toBe(current.replace(':product:v2:', ':product:v1:'));
    await world.redis.set(
      keys.retiredProduct(product.id),
      JSON.stringify({ id: product.id, name: 'old shape' }),
      'EX',
      60,
    );
    const res = await read(product.id);
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Schema checked');
  });

  it("deletes the previous format's entry on every invalidation (a rolling deploy's old readers)", async () => {
    const product = await world.createProduct(owner, { name: 'Before' });
    const retired = keys.retiredProduct(product.id);
    await world.redis.set(retired, JSON.stringify({ id: product.id, name: 'Before' }), 'EX', 60);
    await update(product.id, product.version, { name: 'After' });
    expect(await world.redis.exists(retired)).toBe(0);
  });

  it('treats an entry stored by another Redis instance as a miss', async () => {
    // What a snapshot restored into a restarted Redis brings back: an entry with an old run id.
    const product = await world.createProduct(owner, { name: 'From PostgreSQL' });
    await read(product.id);
    const key = keys.product(product.id);
    const entry = (await world.redis.get(key)) as string;
    const foreign = '0'.repeat(CACHE_ENTRY.runIdLength);
    expect(entry.startsWith(foreign)).toBe(false);
    const stale = entry
      .slice(CACHE_ENTRY.runIdLength)
      .replace('From PostgreSQL', 'From a snapshot');
    await world.redis.set(key, foreign + stale, 'KEEPTTL');
    expect((await read(product.id)).body.name).toBe('From PostgreSQL');
  });

  it('does not cache a product that does not exist', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await read(id)).status).toBe(404);
    expect(await world.redis.exists(keys.product(id))).toBe(0);
  });

  it('is invalidated by update: the next read sees the new version', async () => {
    const product = await world.createProduct(owner);
    await read(product.id);
    await read(product.id);
    const updated = await update(product.id, 1, { name: 'Updated name' });
    expect(await world.redis.exists(keys.product(product.id))).toBe(0);
    expect((await read(product.id)).body).toEqual(updated);
  });

  it('is invalidated by delete: the next read is 404', async () => {
    const product = await world.createProduct(owner);
    await read(product.id);
    const res = await world.call('DELETE', `/products/${product.id}`, { token: owner });
    expect(res.status).toBe(200);
    expect(await world.redis.exists(keys.product(product.id))).toBe(0);
    expect((await read(product.id)).status).toBe(404);
  });

  it('is invalidated by upload: the next read shows the new image', async () => {
    const product = await world.createProduct(owner);
    await read(product.id);
    const res = await world.request(`/products/${product.id}/images`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner}` },
      body: filesForm([{ name: 'a.png', bytes: pngImage() }]),
    });
    expect(res.status).toBe(200);
    expect((await read(product.id)).body.images).toHaveLength(1);
  });

  it('is invalidated by reprocess', async () => {
    const product = await world.createProduct(owner, {
      imageUrls: ['https://cdn.example.com/r.jpg'],
    });
    await read(product.id);
    expect(await world.redis.exists(keys.product(product.id))).toBe(1);
    const res = await world.call('POST', `/products/${product.id}/reprocess`, { token: owner });
    expect(res.status).toBe(200);
    expect(await world.redis.exists(keys.product(product.id))).toBe(0);
    expect((await read(product.id)).body).toEqual(res.body);
  });

  it('never stores a row read before a write that committed while the read was in flight', async () => {
    const product = await world.createProduct(owner);
    // A reader misses, reads the old row, and only then tries to fill: the write in between wins.
    const raced = await world.api.ctx.cache.get(product.id, async () => {
      const old = await findProduct(world.api.ctx.db, product.id);
      await update(product.id, 1, { name: 'Written meanwhile' });
      return old;
    });
    expect(raced?.version).toBe(1);
    expect(await world.redis.exists(keys.product(product.id))).toBe(0);
    expect((await read(product.id)).body).toMatchObject({ version: 2, name: 'Written meanwhile' });
  });

  it('lets no read started after an acknowledged write see an older version (race)', async () => {
    const product = await world.createProduct(owner);
    const UPDATES = 30;
    const READERS = 8;
    let acknowledged = 1;
    let running = true;
    let reads = 0;
    const stale: { floor: number; saw: number }[] = [];
    const failures: string[] = [];
    const hitsBefore = await cacheCount('hit');

    const reader = async () => {
      while (running) {
        const floor = acknowledged; // the newest version acknowledged before this read started
        const res = await read(product.id);
        reads += 1;
        if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body)}`);
        else if (res.body.version < floor) stale.push({ floor, saw: res.body.version });
      }
    };
    const readers = Array.from({ length: READERS }, reader);
    // At least UPDATES writes, and more (up to ten times as many) until the readers have raced
    // them enough: on a busy machine the writer can outpace readers that share its event loop.
    let updates = 0;
    while (updates < UPDATES || (reads <= UPDATES * READERS && updates < UPDATES * 10)) {
      const version = updates + 1;
      const updated = await update(product.id, version, { name: `v${version + 1}` });
      acknowledged = updated.version;
      updates += 1;
      // Mostly back to back, so readers that missed are often mid-fill when the next write
      // commits; sometimes a pause, so a filled cache has to be invalidated too.
      if (version % 3 === 0)
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 10)));
    }
    running = false;
    await Promise.all(readers);

    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    expect(acknowledged).toBe(updates + 1);
    expect(reads).toBeGreaterThan(UPDATES * READERS);
    // The race is only meaningful if the cache was actually serving reads during it.
    expect(await cacheCount('hit')).toBeGreaterThan(hitsBefore + UPDATES);
    expect((await read(product.id)).body.version).toBe(updates + 1);
  });
});

describe('when Redis is unavailable', () => {
  it('still serves reads from PostgreSQL and accepts writes, stays ready, and /readyz/all reports 503', async () => {
    const product = await world.createProduct(owner, { name: 'Before outage' });
    await read(product.id);
    proxy.cut();
    try {
      const during = await read(product.id);
      expect(during.status).toBe(200);
      expect(during.body.name).toBe('Before outage');

      const created = await world.createProduct(owner, { name: 'Created in outage' });
      expect((await read(created.id)).body.name).toBe('Created in outage');
      const updated = await update(product.id, 1, { name: 'Updated in outage' });
      expect(updated.version).toBe(2);
      expect((await read(product.id)).body).toMatchObject({
        name: 'Updated in outage',
        version: 2,
      });
      const listed = await world.call('GET', `/products?userId=${product.ownerId}&limit=100`);
      expect(listed.status).toBe(200);

      // Serving needs only PostgreSQL: the probe load balancers use stays 200.
      const serving = await world.call('GET', '/readyz');
      expect(serving.status).toBe(200);
      expect(serving.body).toEqual({ status: 'ready', postgres: 'ok', draining: false });

      // Each probe connects to Kafka afresh; on a busy machine one may time out, so ask again until
      // PostgreSQL and Kafka answer, and check that Redis alone makes the dependencies view 503.
      const ready = await waitFor(
        async () => {
          const res = await world.call('GET', '/readyz/all');
          return res.body.postgres === 'ok' && res.body.kafka === 'ok' ? res : undefined;
        },
        { timeoutMs: 15_000, what: '/readyz/all to report PostgreSQL and Kafka reachable' },
      );
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'not ready', postgres: 'ok', kafka: 'ok' });
      expect(ready.body.redis).not.toBe('ok');
      expect(await cacheCount('error')).toBeGreaterThan(0);
    } finally {
      proxy.restore();
    }
    await waitFor(
      async () => ((await world.call('GET', '/readyz/all')).status === 200 ? true : undefined),
      {
        timeoutMs: 15_000,
        what: '/readyz/all to recover after Redis returns',
      },
    );
  });

  it('does not serve a copy cached before the outage once Redis is back', async () => {
    const product = await world.createProduct(owner, { name: 'Cached v1' });
    await read(product.id);
    expect(await world.redis.exists(keys.product(product.id))).toBe(1);
    proxy.cut();
    let updated: Product;
    try {
      updated = await update(product.id, 1, { name: 'Written during outage' });
    } finally {
      proxy.restore();
    }
    await waitFor(async () => (world.api.ctx.redis.status === 'ready' ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the API to reconnect to Redis',
    });
    const after = await read(product.id);
    expect(after.body).toMatchObject({ version: updated.version, name: 'Written during outage' });
  });
});
