import { randomUUID } from 'node:crypto';
import { type Product, productSchema } from '@zocket/contracts';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiWorld,
  createApiWorld,
  expectNoStack,
  type Json,
  newSubject,
} from './api-world.js';

let world: ApiWorld;
let alice: string;
let bob: string;

beforeAll(async () => {
  world = await createApiWorld();
  alice = await world.token(newSubject('alice'), { name: 'Alice' });
  bob = await world.token(newSubject('bob'), { name: 'Bob' });
});

afterAll(async () => {
  await world?.close();
});

/** A tRPC call over the in-process HTTP surface; returns the status and the raw envelope. */
async function trpc(
  kind: 'query' | 'mutation',
  path: string,
  input: unknown,
  token?: string,
): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  const res =
    kind === 'query'
      ? await world.request(`/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers,
        })
      : await world.request(`/trpc/${path}`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(input),
        });
  return { status: res.status, body: await res.json() };
}

/** The row as PostgreSQL has it, bypassing the API and its cache. */
async function row(id: string) {
  const result = await sql<{ name: string; version: number; price_minor: string }>`
    select name, version, price_minor from products where id = ${id}`.execute(world.api.ctx.db);
  return result.rows[0];
}

const body = (overrides: Record<string, unknown> = {}) => ({
  name: 'Walnut cutting board',
  description: 'Oiled',
  price: { amountMinor: 1999, currency: 'EUR' },
  imageUrls: ['https://cdn.example.com/board.jpg'],
  ...overrides,
});

describe('create (POST /products)', () => {
  it('creates a product owned by the caller, at version 1, with pending images', async () => {
    const res = await world.call('POST', '/products', { token: alice, body: body() });
    expect(res.status).toBe(200);
    const product = productSchema.parse(res.body);
    expect(product).toMatchObject({
      name: 'Walnut cutting board',
      description: 'Oiled',
      price: { amountMinor: 1999, currency: 'EUR' },
      version: 1,
      compressedProductImages: [],
    });
    expect(product.images).toEqual([
      expect.objectContaining({
        position: 0,
        status: 'pending',
        source: { kind: 'url', url: 'https://cdn.example.com/board.jpg' },
      }),
    ]);
  });

  it('keeps 1999 minor units exactly through create, byId and list', async () => {
    const created = await world.createProduct(alice, {
      price: { amountMinor: 1999, currency: 'USD' },
    });
    expect(created.price).toEqual({ amountMinor: 1999, currency: 'USD' });
    const read = await world.call('GET', `/products/${created.id}`);
    expect(read.body.price).toEqual({ amountMinor: 1999, currency: 'USD' });
    const listed = await world.call(
      'GET',
      `/products?userId=${created.ownerId}&minPrice=1999&maxPrice=1999`,
    );
    expect(listed.body.items.map((p: Product) => p.price.amountMinor)).toContain(1999);
    expect((await row(created.id))?.price_minor).toBe('1999');
  });

  it('sums many prices exactly', async () => {
    const owner = await world.token(newSubject('summer'));
    const amounts = Array.from({ length: 30 }, (_, i) => 1999 + i * 1001 + (i % 7));
    // Large values too: the sum of these is far beyond a float's cents precision if they were decimals.
    amounts.push(99_999_999_999, 12_345_678_901);
    const created: Product[] = [];
    for (const amountMinor of amounts) {
      created.push(await world.createProduct(owner, { price: { amountMinor, currency: 'EUR' } }));
    }
    const ownerId = created[0]?.ownerId;
    const listed = await world.call('GET', `/products?userId=${ownerId}&limit=100`);
    const sum = listed.body.items.reduce((s: number, p: Product) => s + p.price.amountMinor, 0);
    const expected = amounts.reduce((s, a) => s + a, 0);
    expect(Number.isSafeInteger(sum)).toBe(true);
    expect(sum).toBe(expected);
    expect(BigInt(sum)).toBe(amounts.reduce((s, a) => s + BigInt(a), 0n));
  });

  it.each([
    [19.99, 'whole number'],
    [0.5, 'whole number'],
    [-1, 'negative'],
    ['1999', 'number'],
  ])(
    'refuses the amount %j with a field error on price.amountMinor',
    async (amountMinor, message) => {
      const res = await world.call('POST', '/products', {
        token: alice,
        body: body({ price: { amountMinor, currency: 'EUR' } }),
        headers: { 'x-request-id': 'req-money' },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({
        error: {
          code: 'VALIDATION_FAILED',
          message: expect.any(String),
          requestId: 'req-money',
          fields: { 'price.amountMinor': [expect.stringContaining(message)] },
        },
      });
      expectNoStack(res.body);
    },
  );

  it.each([
    ['an empty string', ''],
    ['null', null],
    ['true', true],
    ['an empty array', []],
  ])('refuses %s as an amount instead of reading it as 0 or 1', async (_, amountMinor) => {
    const res = await world.call('POST', '/products', {
      token: alice,
      body: body({ price: { amountMinor, currency: 'EUR' } }),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields).toHaveProperty(['price.amountMinor']);
  });

  it('refuses a numeric string amount through tRPC as well, even after REST requests ran', async () => {
    await world.call('POST', '/products', { token: alice, body: body() });
    const res = await trpc(
      'mutation',
      'products.create',
      body({ price: { amountMinor: '1999', currency: 'EUR' } }),
      alice,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.data.fields).toHaveProperty(['price.amountMinor']);
    const version = await world.call('PATCH', `/products/${randomUUID()}`, {
      token: alice,
      body: { expectedVersion: '1', name: 'x' },
    });
    expect(version.status).toBe(400);
    expect(version.body.error.fields).toHaveProperty('expectedVersion');
  });

  it('stores nothing when the input is refused', async () => {
    const owner = await world.token(newSubject('nothing'));
    const res = await world.call('POST', '/products', {
      token: owner,
      body: body({ name: 'Refused', price: { amountMinor: -5, currency: 'EUR' } }),
    });
    expect(res.status).toBe(400);
    const count = await sql<{
      n: string;
    }>`select count(*) as n from products where name = 'Refused'`.execute(world.api.ctx.db);
    expect(count.rows[0]?.n).toBe('0');
  });

  it('reports every invalid field at once', async () => {
    const res = await world.call('POST', '/products', {
      token: alice,
      body: {
        name: '  ',
        price: { amountMinor: 1, currency: 'XYZ' },
        imageUrls: ['javascript:alert(1)'],
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(Object.keys(res.body.error.fields).sort()).toEqual([
      'imageUrls.0',
      'name',
      'price.currency',
    ]);
  });

  it('refuses image URLs that are not absolute http(s) or carry credentials', async () => {
    for (const url of ['file:///etc/passwd', 'https://u:p@example.com/a.jpg', '/relative.png']) {
      const res = await world.call('POST', '/products', {
        token: alice,
        body: body({ imageUrls: [url] }),
      });
      expect(res.status, url).toBe(400);
      expect(res.body.error.fields, url).toHaveProperty(['imageUrls.0']);
    }
  });

  it('requires a token', async () => {
    const res = await world.call('POST', '/products', { body: body() });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  });
});

describe('byId (GET /products/:id)', () => {
  it('is public and returns the same product as tRPC', async () => {
    const created = await world.createProduct(alice);
    const rest = await world.call('GET', `/products/${created.id}`);
    expect(rest.status).toBe(200);
    const viaTrpc = await trpc('query', 'products.byId', { id: created.id });
    expect(viaTrpc.status).toBe(200);
    expect(viaTrpc.body.result.data).toEqual(rest.body);
    expect(rest.body).toEqual(created);
  });

  it('answers 404 with the error body for an unknown id, on REST and tRPC', async () => {
    const id = randomUUID();
    const rest = await world.call('GET', `/products/${id}`, {
      headers: { 'x-request-id': 'req-missing' },
    });
    expect(rest.status).toBe(404);
    expect(rest.body).toEqual({
      error: { code: 'NOT_FOUND', message: `product ${id} not found`, requestId: 'req-missing' },
    });
    const viaTrpc = await trpc('query', 'products.byId', { id });
    expect(viaTrpc.status).toBe(404);
    expect(viaTrpc.body.error.data).toMatchObject({
      code: 'NOT_FOUND',
      appCode: 'NOT_FOUND',
      httpStatus: 404,
    });
  });

  it('answers 400 with a field error for an id that is not a UUID', async () => {
    const rest = await world.call('GET', '/products/not-a-uuid');
    expect(rest.status).toBe(400);
    expect(rest.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { id: ['must be a UUID'] },
    });
    const viaTrpc = await trpc('query', 'products.byId', { id: 'not-a-uuid' });
    expect(viaTrpc.status).toBe(400);
    expect(viaTrpc.body.error.data).toMatchObject({
      appCode: 'VALIDATION_FAILED',
      fields: { id: ['must be a UUID'] },
    });
  });

  it('never leaks SQL or a stack trace for hostile ids', async () => {
    for (const id of ["' or 1=1 --", '%00', '..%2F..%2Fetc%2Fpasswd']) {
      const res = await world.call('GET', `/products/${id}`);
      expect([400, 404], id).toContain(res.status);
      expectNoStack(res.body);
      expect(JSON.stringify(res.body)).not.toMatch(/select|syntax error|postgres/i);
    }
  });
});

describe('list (GET /products)', () => {
  let owner: string;
  let ownerId: string;
  const made: Product[] = [];

  beforeAll(async () => {
    owner = await world.token(newSubject('lister'));
    const specs = [
      ['Red Teapot', 500],
      ['blue teapot', 1500],
      ['TEAPOT stand', 2500],
      ['Kettle', 1000],
      ['Saucer 100%_off', 3000],
      ['Cup', 0],
    ] as const;
    for (const [name, amountMinor] of specs) {
      made.push(
        await world.createProduct(owner, { name, price: { amountMinor, currency: 'EUR' } }),
      );
    }
    ownerId = made[0]?.ownerId as string;
    // Another owner's product with a matching name must not appear in owner-filtered lists.
    await world.createProduct(bob, {
      name: 'Teapot of Bob',
      price: { amountMinor: 1500, currency: 'EUR' },
    });
  });

  const names = (items: Product[]) => items.map((p) => p.name);

  it('filters by owner, newest first', async () => {
    const res = await world.call('GET', `/products?userId=${ownerId}`);
    expect(res.status).toBe(200);
    expect(names(res.body.items)).toEqual(names([...made].reverse()));
    expect(res.body.nextCursor).toBeNull();
  });

  it('filters by an inclusive price range', async () => {
    const res = await world.call('GET', `/products?userId=${ownerId}&minPrice=1000&maxPrice=2500`);
    expect(names(res.body.items).sort()).toEqual(['Kettle', 'TEAPOT stand', 'blue teapot'].sort());
  });

  it('filters by a case-insensitive name substring', async () => {
    const res = await world.call('GET', `/products?userId=${ownerId}&name=tEaPoT`);
    expect(names(res.body.items).sort()).toEqual(
      ['Red Teapot', 'TEAPOT stand', 'blue teapot'].sort(),
    );
  });

  it('treats % and _ in the name filter as literal characters', async () => {
    const res = await world.call(
      'GET',
      `/products?userId=${ownerId}&name=${encodeURIComponent('100%_')}`,
    );
    expect(names(res.body.items)).toEqual(['Saucer 100%_off']);
    const wildcard = await world.call(
      'GET',
      `/products?userId=${ownerId}&name=${encodeURIComponent('%')}`,
    );
    expect(names(wildcard.body.items)).toEqual(['Saucer 100%_off']);
  });

  it('combines filters', async () => {
    const res = await world.call('GET', `/products?userId=${ownerId}&name=teapot&maxPrice=1500`);
    expect(names(res.body.items).sort()).toEqual(['Red Teapot', 'blue teapot'].sort());
  });

  it('returns the same page through REST and tRPC', async () => {
    const rest = await world.call('GET', `/products?userId=${ownerId}&name=teapot&limit=2`);
    const viaTrpc = await trpc('query', 'products.list', {
      userId: ownerId,
      name: 'teapot',
      limit: 2,
    });
    expect(viaTrpc.body.result.data).toEqual(rest.body);
  });

  it('paginates with a cursor: stable, no duplicates, nothing missing', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/products?userId=${ownerId}&limit=4${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const res = await world.call('GET', query);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(4);
      seen.push(...res.body.items.map((p: Product) => p.id));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(2);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...made].reverse().map((p) => p.id));
  });

  it('keeps pages stable while newer products are created between page fetches', async () => {
    const lister = await world.token(newSubject('stable'));
    const first: Product[] = [];
    for (let i = 0; i < 25; i++)
      first.push(await world.createProduct(lister, { name: `Item ${i}` }));
    const id = first[0]?.ownerId;
    const page1 = await world.call('GET', `/products?userId=${id}&limit=10`);
    // Products created after page 1 are newer, so they must not shift the later pages.
    for (let i = 0; i < 3; i++) await world.createProduct(lister, { name: `Late ${i}` });
    const page2 = await world.call(
      'GET',
      `/products?userId=${id}&limit=10&cursor=${page1.body.nextCursor}`,
    );
    const page3 = await world.call(
      'GET',
      `/products?userId=${id}&limit=10&cursor=${page2.body.nextCursor}`,
    );
    expect(page3.body.nextCursor).toBeNull();
    const ids = [...page1.body.items, ...page2.body.items, ...page3.body.items].map(
      (p: Product) => p.id,
    );
    expect(ids).toEqual([...first].reverse().map((p) => p.id));
  });

  it('refuses a limit over 100 and below 1', async () => {
    for (const limit of [101, 0, -3]) {
      const res = await world.call('GET', `/products?limit=${limit}`);
      expect(res.status, String(limit)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.fields).toHaveProperty('limit');
    }
    const viaTrpc = await trpc('query', 'products.list', { limit: 101 });
    expect(viaTrpc.status).toBe(400);
  });

  it('refuses a cursor it did not issue', async () => {
    const res = await world.call('GET', '/products?cursor=bm90LWEtY3Vyc29y');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'VALIDATION_FAILED',
      fields: { cursor: expect.any(Array) },
    });
  });

  it('refuses a cursor of the right shape holding an impossible time or id, without a 500', async () => {
    for (const text of [
      `2026-13-45T25:61:61.000000Z|${randomUUID()}`,
      `2026-11-26T14:20:56.123456Z|${'-'.repeat(36)}`,
    ]) {
      const res = await world.call(
        'GET',
        `/products?cursor=${Buffer.from(text).toString('base64url')}`,
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_FAILED',
        fields: { cursor: expect.any(Array) },
      });
    }
  });

  it('refuses an inverted or fractional price range', async () => {
    const inverted = await world.call('GET', '/products?minPrice=500&maxPrice=100');
    expect(inverted.status).toBe(400);
    expect(inverted.body.error.fields.minPrice).toEqual(['minPrice must not exceed maxPrice']);
    const fractional = await world.call('GET', '/products?minPrice=1.5');
    expect(fractional.status).toBe(400);
    expect(fractional.body.error.fields).toHaveProperty('minPrice');
  });

  it('is public: an anonymous caller can list', async () => {
    const res = await world.call('GET', '/products?limit=1');
    expect(res.status).toBe(200);
    expect(res.body.items).toHaveLength(1);
  });
});

describe('update (PATCH /products/:id)', () => {
  it('applies a partial update and bumps the version', async () => {
    const created = await world.createProduct(alice);
    const res = await world.call('PATCH', `/products/${created.id}`, {
      token: alice,
      body: { expectedVersion: 1, name: 'Renamed', price: { amountMinor: 2500, currency: 'EUR' } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: created.id,
      name: 'Renamed',
      description: created.description,
      price: { amountMinor: 2500, currency: 'EUR' },
      version: 2,
    });
    expect((await world.call('GET', `/products/${created.id}`)).body.version).toBe(2);
  });

  it('answers 409 CONFLICT for a stale expectedVersion and changes nothing', async () => {
    const created = await world.createProduct(alice);
    await world.call('PATCH', `/products/${created.id}`, {
      token: alice,
      body: { expectedVersion: 1, name: 'v2' },
    });
    const stale = await world.call('PATCH', `/products/${created.id}`, {
      token: alice,
      body: { expectedVersion: 1, name: 'lost update' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('CONFLICT');
    expect(await row(created.id)).toMatchObject({ name: 'v2', version: 2 });
  });

  it('lets exactly one of two concurrent updates at the same version win', async () => {
    const created = await world.createProduct(alice);
    const results = await Promise.all(
      ['first', 'second'].map((name) =>
        world.call('PATCH', `/products/${created.id}`, {
          token: alice,
          body: { expectedVersion: 1, name },
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await row(created.id))?.version).toBe(2);
  });

  it('replaces the images when imageUrls is given: new ones pending, old ones gone', async () => {
    const created = await world.createProduct(alice, {
      imageUrls: ['https://cdn.example.com/old-1.jpg', 'https://cdn.example.com/old-2.jpg'],
    });
    const res = await world.call('PATCH', `/products/${created.id}`, {
      token: alice,
      body: { expectedVersion: 1, imageUrls: ['https://cdn.example.com/new.jpg'] },
    });
    expect(res.status).toBe(200);
    expect(res.body.images).toEqual([
      expect.objectContaining({
        position: 0,
        status: 'pending',
        source: { kind: 'url', url: 'https://cdn.example.com/new.jpg' },
      }),
    ]);
    const read = await world.call('GET', `/products/${created.id}`);
    const urls = read.body.images.map((i: { source: { url: string } }) => i.source.url);
    expect(urls).toEqual(['https://cdn.example.com/new.jpg']);
    const oldIds = created.images.map((i) => i.id);
    expect(read.body.images.map((i: { id: string }) => i.id)).not.toEqual(
      expect.arrayContaining(oldIds),
    );
  });

  it('refuses invalid fields with 400 and field errors', async () => {
    const created = await world.createProduct(alice);
    const res = await world.call('PATCH', `/products/${created.id}`, {
      token: alice,
      body: { expectedVersion: 1, price: { amountMinor: 10.5, currency: 'EUR' } },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.fields['price.amountMinor']).toEqual([
      expect.stringContaining('whole number'),
    ]);
    const missing = await world.call('PATCH', `/products/${created.id}`, {
      token: alice,
      body: { name: 'x' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error.fields).toHaveProperty('expectedVersion');
    expect((await row(created.id))?.version).toBe(1);
  });

  it('answers 404 for an unknown product', async () => {
    const res = await world.call('PATCH', `/products/${randomUUID()}`, {
      token: alice,
      body: { expectedVersion: 1, name: 'ghost' },
    });
    expect(res.status).toBe(404);
  });

  it('requires a token', async () => {
    const created = await world.createProduct(alice);
    const res = await world.call('PATCH', `/products/${created.id}`, {
      body: { expectedVersion: 1, name: 'anon' },
    });
    expect(res.status).toBe(401);
    expect(await row(created.id)).toMatchObject({ version: 1, name: created.name });
  });
});

describe('delete (DELETE /products/:id)', () => {
  it('hard-deletes: byId answers 404 on REST and tRPC, and list no longer has it', async () => {
    const created = await world.createProduct(alice, { name: 'Doomed' });
    await world.call('GET', `/products/${created.id}`); // warm the cache
    const res = await world.call('DELETE', `/products/${created.id}`, { token: alice });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: created.id, deleted: true });
    expect((await world.call('GET', `/products/${created.id}`)).status).toBe(404);
    expect((await trpc('query', 'products.byId', { id: created.id })).status).toBe(404);
    const listed = await world.call('GET', `/products?userId=${created.ownerId}&limit=100`);
    expect(listed.body.items.map((p: Product) => p.id)).not.toContain(created.id);
    expect(await row(created.id)).toBeUndefined();
    const images = await sql`select 1 from product_images where product_id = ${created.id}`.execute(
      world.api.ctx.db,
    );
    expect(images.rows).toHaveLength(0);
  });

  it('answers 404 when deleting twice', async () => {
    const created = await world.createProduct(alice);
    expect((await world.call('DELETE', `/products/${created.id}`, { token: alice })).status).toBe(
      200,
    );
    expect((await world.call('DELETE', `/products/${created.id}`, { token: alice })).status).toBe(
      404,
    );
  });

  it('deletes through tRPC too', async () => {
    const created = await world.createProduct(alice);
    const res = await trpc('mutation', 'products.delete', { id: created.id }, alice);
    expect(res.status).toBe(200);
    expect(res.body.result.data).toEqual({ id: created.id, deleted: true });
    expect((await world.call('GET', `/products/${created.id}`)).status).toBe(404);
  });

  it('requires a token', async () => {
    const created = await world.createProduct(alice);
    expect((await world.call('DELETE', `/products/${created.id}`)).status).toBe(401);
    expect(await row(created.id)).toBeDefined();
  });
});

describe('reprocess (POST /products/:id/reprocess)', () => {
  it('re-queues every image and returns the product', async () => {
    const created = await world.createProduct(alice, {
      imageUrls: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg'],
    });
    const res = await world.call('POST', `/products/${created.id}/reprocess`, { token: alice });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(created.id);
    expect(res.body.images.map((i: { status: string }) => i.status)).toEqual([
      'pending',
      'pending',
    ]);
    const jobs = await sql<{ reason: string }>`
      select payload->>'reason' as reason from outbox where message_key = ${created.id} order by id`.execute(
      world.api.ctx.db,
    );
    expect(jobs.rows.map((r) => r.reason)).toEqual([
      'created',
      'created',
      'reprocess',
      'reprocess',
    ]);
  });

  it('answers 404 for an unknown product and 401 without a token', async () => {
    expect(
      (await world.call('POST', `/products/${randomUUID()}/reprocess`, { token: alice })).status,
    ).toBe(404);
    const created = await world.createProduct(alice);
    expect((await world.call('POST', `/products/${created.id}/reprocess`)).status).toBe(401);
  });
});

describe("another user's product (IDOR)", () => {
  let product: Product;

  beforeAll(async () => {
    product = await world.createProduct(alice, {
      name: 'Alice only',
      imageUrls: ['https://cdn.example.com/alice.jpg'],
    });
  });

  const outboxCount = async () =>
    Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from outbox where message_key = ${product.id}`.execute(
          world.api.ctx.db,
        )
      ).rows[0]?.n,
    );

  it('returns 404 when another user updates it, and the row and version stay unchanged', async () => {
    const res = await world.call('PATCH', `/products/${product.id}`, {
      token: bob,
      body: { expectedVersion: 1, name: 'Stolen', price: { amountMinor: 1, currency: 'EUR' } },
    });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
    expect(await row(product.id)).toEqual({ name: 'Alice only', version: 1, price_minor: '1999' });
  });

  it('returns 404 when another user deletes it, and it still exists', async () => {
    const res = await world.call('DELETE', `/products/${product.id}`, { token: bob });
    expect(res.status).toBe(404);
    expect((await world.call('GET', `/products/${product.id}`)).body.name).toBe('Alice only');
  });

  it('returns 404 when another user reprocesses it, and no job is enqueued', async () => {
    const before = await outboxCount();
    const res = await world.call('POST', `/products/${product.id}/reprocess`, { token: bob });
    expect(res.status).toBe(404);
    expect(await outboxCount()).toBe(before);
  });

  it('answers the same 404 as for a product that does not exist (no existence oracle)', async () => {
    const foreign = await world.call('DELETE', `/products/${product.id}`, { token: bob });
    const missing = await world.call('DELETE', `/products/${randomUUID()}`, { token: bob });
    expect(foreign.status).toBe(missing.status);
    expect(foreign.body.error.code).toBe(missing.body.error.code);
  });

  it('refuses the same through tRPC', async () => {
    const res = await trpc(
      'mutation',
      'products.update',
      { id: product.id, expectedVersion: 1, name: 'x' },
      bob,
    );
    expect(res.status).toBe(404);
    const del = await trpc('mutation', 'products.delete', { id: product.id }, bob);
    expect(del.status).toBe(404);
    expect(await row(product.id)).toMatchObject({ name: 'Alice only', version: 1 });
  });
});

describe('REST and tRPC agree', () => {
  it('create through tRPC gives the same product shape as REST', async () => {
    const viaTrpc = await trpc('mutation', 'products.create', body({ name: 'Twin' }), alice);
    expect(viaTrpc.status).toBe(200);
    const created = viaTrpc.body.result.data as Product;
    const rest = await world.call('GET', `/products/${created.id}`);
    expect(rest.body).toEqual(created);
  });

  it('update and reprocess through tRPC give what REST then reads', async () => {
    const created = await world.createProduct(alice);
    const updated = await trpc(
      'mutation',
      'products.update',
      { id: created.id, expectedVersion: 1, name: 'T2' },
      alice,
    );
    expect(updated.body.result.data).toMatchObject({ name: 'T2', version: 2 });
    const reprocessed = await trpc('mutation', 'products.reprocess', { id: created.id }, alice);
    expect(reprocessed.status).toBe(200);
    expect((await world.call('GET', `/products/${created.id}`)).body).toEqual(
      reprocessed.body.result.data,
    );
  });

  it('reports the same validation error through both', async () => {
    const bad = body({ price: { amountMinor: -1, currency: 'EUR' } });
    const rest = await world.call('POST', '/products', { token: alice, body: bad });
    const viaTrpc = await trpc('mutation', 'products.create', bad, alice);
    expect(viaTrpc.status).toBe(rest.status);
    expect(viaTrpc.body.error.data.appCode).toBe(rest.body.error.code);
    expect(viaTrpc.body.error.data.fields).toEqual(rest.body.error.fields);
    expectNoStack(viaTrpc.body);
  });
});
