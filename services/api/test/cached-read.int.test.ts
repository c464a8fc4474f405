import { CACHE_ENTRY, cacheKeys } from '@zocket/contracts';
import type { KyselyPlugin, PluginTransformQueryArgs, RootOperationNode, TableNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject } from './api-world.js';

let world: ApiWorld;
let owner: string;
let keys: ReturnType<typeof cacheKeys>;

beforeAll(async () => {
  world = await createApiWorld({ env: { CACHE_TTL_SECONDS: '120' } });
  owner = await world.token(newSubject('fast'));
  keys = cacheKeys(world.cachePrefix);
});

afterAll(async () => {
  await world?.close();
});

/** Counts the statements that read the products table, on their way to the real database. */
class ProductReads implements KyselyPlugin {
  count = 0;
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === 'SelectQueryNode') {
      const from = node.from?.froms[0];
      if (from?.kind === 'TableNode' && (from as TableNode).table.identifier.name === 'products')
        this.count += 1;
    }
    return node;
  }
  async transformResult<T>(args: { result: T }): Promise<T> {
    return args.result;
  }
}

const trpcById = (id: string) =>
  `/trpc/products.byId?input=${encodeURIComponent(JSON.stringify({ id }))}`;

/** A response over the network: status, the headers a client sees, and the exact bytes. */
async function fetchRaw(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${world.baseUrl}${path}`, { headers });
  const headerMap = Object.fromEntries(
    [...res.headers.entries()].filter(([name]) => name !== 'x-request-id' && name !== 'date'),
  );
  return { status: res.status, headers: headerMap, body: await res.text() };
}

describe('cached read fast path', () => {
  it('answers a hit with the same status, headers and bytes as the procedure path (REST, tRPC)', async () => {
    const product = await world.createProduct(owner, { name: 'Byte for byte' });
    for (const path of [`/products/${product.id}`, trpcById(product.id)]) {
      await world.api.ctx.cache.invalidate(product.id);
      const miss = await fetchRaw(path); // fills the cache through the procedures
      expect(await world.redis.exists(keys.product(product.id))).toBe(1);
      const hit = await fetchRaw(path); // fast path
      // With a token the procedures answer even on a hit (they check it): the slow path's bytes.
      const slow = await fetchRaw(path, { authorization: `Bearer ${owner}` });
      expect(miss.status).toBe(200);
      expect(hit).toEqual(miss);
      expect(slow).toEqual(miss);
    }
  });

  it('serves the stored bytes as they are on a hit', async () => {
    const product = await world.createProduct(owner);
    await fetchRaw(`/products/${product.id}`);
    const stored = (await world.redis.get(keys.product(product.id))) as string;
    const runId = stored.slice(0, CACHE_ENTRY.runIdLength);
    const marked = stored
      .slice(CACHE_ENTRY.runIdLength)
      .replace('"Enamel mug"', '"Marked in Redis"');
    await world.redis.set(keys.product(product.id), runId + marked, 'KEEPTTL');
    const tagged = await fetch(`${world.baseUrl}/products/${product.id}`, {
      headers: { 'x-request-id': 'req-fast-1' },
    });
    expect(tagged.headers.get('x-request-id')).toBe('req-fast-1');
    expect(await tagged.text()).toBe(marked);
    expect((await fetchRaw(`/products/${product.id}`)).body).toBe(marked);
    expect((await fetchRaw(trpcById(product.id))).body).toBe(`{"result":{"data":${marked}}}`);
  });

  it('does not serve an entry stored by another Redis instance (a restored snapshot)', async () => {
    const product = await world.createProduct(owner, { name: 'From PostgreSQL' });
    await fetchRaw(`/products/${product.id}`);
    const key = keys.product(product.id);
    const stored = (await world.redis.get(key)) as string;
    const json = stored.slice(CACHE_ENTRY.runIdLength);
    // With this instance's run id, a marked entry is served from Redis by the fast path...
    await world.redis.set(
      key,
      stored.slice(0, CACHE_ENTRY.runIdLength) + json.replace('From PostgreSQL', 'Marked'),
      'KEEPTTL',
    );
    expect(JSON.parse((await fetchRaw(`/products/${product.id}`)).body).name).toBe('Marked');
    // ...with another one it is a miss, on both fast reads and the procedure path behind them.
    await world.redis.set(
      key,
      'f'.repeat(CACHE_ENTRY.runIdLength) + json.replace('From PostgreSQL', 'From a snapshot'),
      'KEEPTTL',
    );
    expect(JSON.parse((await fetchRaw(`/products/${product.id}`)).body).name).toBe(
      'From PostgreSQL',
    );
    await world.redis.set(
      key,
      'f'.repeat(CACHE_ENTRY.runIdLength) + json.replace('From PostgreSQL', 'From a snapshot'),
      'KEEPTTL',
    );
    expect(JSON.parse((await fetchRaw(trpcById(product.id))).body).result.data.name).toBe(
      'From PostgreSQL',
    );
  });

  it('counts a hit in the request metrics and answers its request id', async () => {
    const product = await world.createProduct(owner);
    await fetchRaw(`/products/${product.id}`);
    const served = async () => {
      const text = String((await world.call('GET', '/metrics')).body);
      const line =
        /^zocket_http_requests_total\{route="\/products\/:id",method="GET",status="200"\} (\d+)$/m;
      return Number(line.exec(text)?.[1] ?? 0);
    };
    const before = await served();
    const hit = await fetch(`${world.baseUrl}/products/${product.id}`);
    expect(hit.status).toBe(200);
    expect(hit.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await served()).toBe(before + 1);
  });

  it('still refuses an invalid token on a hit', async () => {
    const product = await world.createProduct(owner);
    await fetchRaw(`/products/${product.id}`);
    const res = await fetchRaw(`/products/${product.id}`, { authorization: 'Bearer nope' });
    expect(res.status).toBe(401);
    const trpc = await fetchRaw(trpcById(product.id), { authorization: 'Bearer nope' });
    expect(trpc.status).toBe(401);
  });

  it('keeps CORS headers for browser requests on a hit', async () => {
    const product = await world.createProduct(owner);
    await fetchRaw(`/products/${product.id}`);
    for (const path of [`/products/${product.id}`, trpcById(product.id)]) {
      const res = await fetchRaw(path, { origin: 'https://shop.example.com' });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.com');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('leaves batches and unknown inputs to tRPC, with its errors', async () => {
    const product = await world.createProduct(owner);
    await fetchRaw(`/products/${product.id}`);
    const batch = await fetchRaw(
      `/trpc/products.byId?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { id: product.id } }))}`,
    );
    expect(batch.status).toBe(200);
    expect(JSON.parse(batch.body)[0].result.data.id).toBe(product.id);
    const bad = await fetchRaw(trpcById('not-a-uuid'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.data.appCode).toBe('VALIDATION_FAILED');
  });

  it('is never stale after a write: the next read after an update sees it', async () => {
    const product = await world.createProduct(owner);
    await fetchRaw(`/products/${product.id}`);
    await fetchRaw(`/products/${product.id}`);
    const res = await world.call('PATCH', `/products/${product.id}`, {
      token: owner,
      body: { expectedVersion: 1, name: 'After the write' },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse((await fetchRaw(`/products/${product.id}`)).body)).toEqual(res.body);
    expect(JSON.parse((await fetchRaw(trpcById(product.id))).body).result.data).toEqual(res.body);
  });
});

describe('single flight', () => {
  it('makes 100 concurrent misses for one product read PostgreSQL once', async () => {
    const product = await world.createProduct(owner);
    const counter = new ProductReads();
    const ctx = world.api.ctx;
    const db = ctx.db;
    ctx.db = db.withPlugin(counter);
    try {
      expect(await world.redis.exists(keys.product(product.id))).toBe(0);
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => fetchRaw(`/products/${product.id}`)),
      );
      expect(responses.every((r) => r.status === 200)).toBe(true);
      expect(new Set(responses.map((r) => r.body)).size).toBe(1);
      expect(counter.count).toBe(1);
    } finally {
      ctx.db = db;
    }
    // The counter does see reads: a miss after an invalidation is a new load.
    ctx.db = db.withPlugin(counter);
    try {
      await ctx.cache.invalidate(product.id);
      await fetchRaw(`/products/${product.id}`);
      expect(counter.count).toBe(2);
    } finally {
      ctx.db = db;
    }
  });
});
