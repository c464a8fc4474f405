import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testServices } from '@zocket/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConstraintViolationError } from '../src/errors.js';
import { migrateToLatest } from '../src/migrate.js';
import { createDb, type Db } from '../src/pool.js';
import { decodeCursor } from '../src/queries/cursor.js';
import {
  claimOutboxBatch,
  insertOutboxMessages,
  markOutboxPublished,
  outboxBacklog,
} from '../src/queries/outbox.js';
import {
  completeImageJob,
  failImageJob,
  replaceProductImages,
  startImageJob,
} from '../src/queries/product-images.js';
import { findProduct, insertProduct, listProducts } from '../src/queries/products.js';
import { ensureUser } from '../src/queries/users.js';

describe('packages/db against real PostgreSQL', () => {
  let database: TestDatabase;
  let db: Db;
  let ownerId: string;

  beforeAll(async () => {
    database = await createTestDatabase(testServices());
    db = createDb({ url: database.url, max: 4 });
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('migrates an empty database, and a second run applies nothing', async () => {
    expect((await migrateToLatest(db)).applied).toEqual(['2026-11-26T1300-initial']);
    expect((await migrateToLatest(db)).applied).toEqual([]);
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_name not like 'kysely%' order by table_name`.execute(
      db,
    );
    expect(rows.map((r) => r.table_name)).toEqual([
      'outbox',
      'product_images',
      'products',
      'users',
    ]);
    ownerId = await ensureUser(db, `user-${randomUUID()}`);
  });

  it('returns the same user id for the same subject', async () => {
    const subject = `user-${randomUUID()}`;
    const first = await ensureUser(db, subject);
    expect(await ensureUser(db, subject)).toBe(first);
  });

  it('round-trips a product with its images, pending, in order', async () => {
    const { product, jobs } = await db.transaction().execute((trx) =>
      insertProduct(trx, {
        ownerId,
        name: 'Ceramic mug',
        description: 'Blue',
        price: { amountMinor: 1999, currency: 'EUR' },
        images: [
          { kind: 'url', url: 'https://img.example.com/a.jpg' },
          { kind: 'upload', key: 'uploads/x/y' },
        ],
      }),
    );
    expect(jobs).toHaveLength(2);
    const found = await findProduct(db, product.id);
    expect(found).toEqual(product);
    expect(found?.price).toEqual({ amountMinor: 1999, currency: 'EUR' });
    expect(found?.images.map((i) => [i.position, i.status, i.source])).toEqual([
      [0, 'pending', { kind: 'url', url: 'https://img.example.com/a.jpg' }],
      [1, 'pending', { kind: 'upload', key: 'uploads/x/y' }],
    ]);
    expect(found?.compressedProductImages).toEqual([]);
  });

  it('keeps prices exact: the sum over many prices equals the sum of the inputs', async () => {
    const prices = Array.from({ length: 200 }, (_, i) => 1 + ((i * 7919) % 99_999_99));
    const name = `exact-${randomUUID()}`;
    for (const amountMinor of prices) {
      await insertProduct(db, {
        ownerId,
        name,
        description: '',
        price: { amountMinor, currency: 'USD' },
        images: [],
      });
    }
    const { rows } = await sql<{ total: string }>`
      select sum(price_minor)::text as total from products where name = ${name}`.execute(db);
    const expected = prices.reduce((a, b) => a + b, 0);
    expect(rows[0]?.total).toBe(String(expected));
    let listed = 0;
    let cursor: string | null = null;
    do {
      const page = await listProducts(
        db,
        { name, limit: 100 },
        cursor === null ? undefined : decodeCursor(cursor),
      );
      listed += page.items.reduce((sum, p) => sum + p.price.amountMinor, 0);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(listed).toBe(expected);
  });

  it('maps a unique violation to a typed conflict error', async () => {
    const { product } = await insertProduct(db, {
      ownerId,
      name: 'dup',
      description: '',
      price: { amountMinor: 1, currency: 'EUR' },
      images: [{ kind: 'url', url: 'https://img.example.com/1.jpg' }],
    });
    const error = await db
      .insertInto('product_images')
      .values({
        product_id: product.id,
        position: 0,
        source_kind: 'url',
        source_ref: 'https://img.example.com/2.jpg',
        job_id: randomUUID(),
      })
      .execute()
      .catch((e: unknown) => e);
    const { mapDbError } = await import('../src/errors.js');
    const mapped = mapDbError(error);
    expect(mapped).toBeInstanceOf(ConstraintViolationError);
    expect(mapped).toMatchObject({
      kind: 'unique',
      code: 'CONFLICT',
      constraint: 'product_images_product_position_key',
    });
  });

  it('maps a foreign-key violation to a typed error from a query function', async () => {
    const error = await insertProduct(db, {
      ownerId: randomUUID(),
      name: 'orphan',
      description: '',
      price: { amountMinor: 1, currency: 'EUR' },
      images: [],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConstraintViolationError);
    expect(error).toMatchObject({ kind: 'foreign_key', code: 'BAD_REQUEST' });
  });

  it('refuses a negative price at the database too', async () => {
    const error = await insertProduct(db, {
      ownerId,
      name: 'negative',
      description: '',
      price: { amountMinor: -1, currency: 'EUR' },
      images: [],
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'check' });
  });

  it('ignores a result from a job that is no longer current', async () => {
    const { product, jobs } = await insertProduct(db, {
      ownerId,
      name: 'images',
      description: '',
      price: { amountMinor: 5, currency: 'EUR' },
      images: [{ kind: 'url', url: 'https://img.example.com/old.jpg' }],
    });
    const [old] = jobs as [(typeof jobs)[number]];
    expect(await startImageJob(db, old)).toBe(product.id);
    const [fresh] = (await replaceProductImages(db, product.id, [
      { kind: 'url', url: 'https://img.example.com/new.jpg' },
    ])) as [(typeof jobs)[number]];
    const result = {
      variants: [{ format: 'webp' as const, width: 10, height: 10, bytes: 5, key: 'k', url: 'u' }],
      placeholder: 'ph',
      width: 10,
      height: 10,
      bytes: 100,
      contentHash: 'h',
    };
    expect(await completeImageJob(db, old, result)).toBe(false);
    expect(await failImageJob(db, old, { code: 'CORRUPT_IMAGE', message: 'x' })).toBe(false);
    expect(await completeImageJob(db, fresh, result)).toBe(true);
    const found = await findProduct(db, product.id);
    expect(found?.images).toHaveLength(1);
    expect(found?.images[0]).toMatchObject({
      id: fresh.imageId,
      status: 'ready',
      width: 10,
      height: 10,
      bytes: 100,
      contentHash: 'h',
      placeholder: 'ph',
      variants: result.variants,
      failureReason: null,
    });
    const stored = await db
      .selectFrom('product_images')
      .select('processed_at')
      .where('id', '=', fresh.imageId)
      .executeTakeFirstOrThrow();
    expect(found?.images[0]?.processedAt).toBe(stored.processed_at?.toISOString());
    expect(found?.compressedProductImages).toEqual(['u']);
  });

  it('keeps a ready image ready when the same job is later marked failed', async () => {
    // The row was written but the cache invalidation or result event kept failing until the job
    // ran out of attempts: the failure path must not take the variants away.
    const { product, jobs } = await insertProduct(db, {
      ownerId,
      name: 'ready then failed',
      description: '',
      price: { amountMinor: 5, currency: 'EUR' },
      images: [{ kind: 'url', url: 'https://img.example.com/ready.jpg' }],
    });
    const [job] = jobs as [(typeof jobs)[number]];
    expect(await startImageJob(db, job)).toBe(product.id);
    const variants = [
      { format: 'webp' as const, width: 10, height: 10, bytes: 5, key: 'k', url: 'u' },
    ];
    expect(
      await completeImageJob(db, job, {
        variants,
        placeholder: 'ph',
        width: 10,
        height: 10,
        bytes: 100,
        contentHash: 'h',
      }),
    ).toBe(true);
    expect(
      await failImageJob(db, job, {
        code: 'RETRIES_EXHAUSTED',
        message: 'gave up after 5 attempts',
      }),
    ).toBe(false);
    const found = await findProduct(db, product.id);
    expect(found?.images[0]).toMatchObject({
      id: job.imageId,
      status: 'ready',
      variants,
      failureReason: null,
    });
    expect(found?.compressedProductImages).toEqual(['u']);
  });

  it('starts a ready image again only for a reprocess, and keeps it ready until the new result', async () => {
    const { product, jobs } = await insertProduct(db, {
      ownerId,
      name: 'reprocessed',
      description: '',
      price: { amountMinor: 5, currency: 'EUR' },
      images: [{ kind: 'url', url: 'https://img.example.com/again.jpg' }],
    });
    const [job] = jobs as [(typeof jobs)[number]];
    const result = (key: string) => ({
      variants: [{ format: 'webp' as const, width: 10, height: 10, bytes: 5, key, url: key }],
      placeholder: 'ph',
      width: 10,
      height: 10,
      bytes: 100,
      contentHash: 'h',
    });
    expect(await startImageJob(db, job, 'created')).toBe(product.id);
    expect(await completeImageJob(db, job, result('v1/10.webp'))).toBe(true);

    expect(await startImageJob(db, job, 'created')).toBeUndefined();
    expect(await startImageJob(db, job, 'reprocess')).toBe(product.id);
    const during = await findProduct(db, product.id);
    expect(during?.images[0]).toMatchObject({ status: 'ready', attempts: 2 });
    expect(during?.compressedProductImages).toEqual(['v1/10.webp']);

    expect(await completeImageJob(db, job, result('v2/10.webp'))).toBe(true);
    expect((await findProduct(db, product.id))?.compressedProductImages).toEqual(['v2/10.webp']);
  });

  it('claims outbox rows once across concurrent relays (SKIP LOCKED)', async () => {
    await insertOutboxMessages(db, [
      { topic: 't', key: 'k1', payload: { n: 1 } },
      { topic: 't', key: 'k2', payload: { n: 2 } },
    ]);
    const claimedA = await db.transaction().execute(async (trxA) => {
      const a = await claimOutboxBatch(trxA, 1);
      const b = await db.transaction().execute((trxB) => claimOutboxBatch(trxB, 10));
      expect(b.map((r) => r.id)).not.toContain(a[0]?.id);
      await markOutboxPublished(
        trxA,
        a.map((r) => r.id),
      );
      return [...a, ...b];
    });
    expect(new Set(claimedA.map((r) => r.id)).size).toBe(2);
    const backlog = await outboxBacklog(db);
    expect(backlog.count).toBe(1);
  });
});
