import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testServices } from '@zocket/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConstraintViolationError } from '../src/errors.js';
import { migrateToLatest } from '../src/migrate.js';
import { createDb, type Db } from '../src/pool.js';
import {
  countBulkItemsByState,
  creditBulkOutage,
  expireBulkItems,
  insertBulkItems,
  recordBulkItemOutcome,
} from '../src/queries/bulk-job-items.js';
import {
  findBulkJob,
  insertBulkJob,
  ONE_ACTIVE_BULK_JOB,
  transitionBulkJob,
} from '../src/queries/bulk-jobs.js';
import { recordRendition } from '../src/queries/image-renditions.js';
import {
  completeImageJob,
  countBulkTargets,
  pageBulkTargets,
} from '../src/queries/product-images.js';
import { insertProduct } from '../src/queries/products.js';
import { ensureUser } from '../src/queries/users.js';

describe('bulk jobs and renditions against real PostgreSQL', () => {
  let database: TestDatabase;
  let db: Db;
  let ownerId: string;
  let otherOwnerId: string;

  beforeAll(async () => {
    database = await createTestDatabase(testServices());
    db = createDb({ url: database.url, max: 4 });
    await migrateToLatest(db);
    ownerId = await ensureUser(db, `owner-${randomUUID()}`);
    otherOwnerId = await ensureUser(db, `owner-${randomUUID()}`);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const product = (owner: string, urls: number) =>
    insertProduct(db, {
      ownerId: owner,
      name: 'p',
      description: '',
      price: { amountMinor: 1, currency: 'EUR' },
      images: Array.from({ length: urls }, (_, i) => ({
        kind: 'url' as const,
        url: `https://img.example.com/${randomUUID()}/${i}.jpg`,
      })),
    });

  it('selects targets by owner, status and profile, in id order, up to the snapshot', async () => {
    const a = await product(ownerId, 3);
    const b = await product(otherOwnerId, 2);
    const first = a.jobs[0];
    if (first === undefined) throw new Error('no job');
    await completeImageJob(db, first, {
      variants: [],
      placeholder: 'x',
      width: 1,
      height: 1,
      bytes: 1,
      contentHash: 'h1',
      profileVersion: 'v1',
    });
    expect(await countBulkTargets(db, { ownerId })).toBe(3);
    expect(await countBulkTargets(db, { ownerId: otherOwnerId })).toBe(2);
    expect(await countBulkTargets(db, { ownerId, profileNot: 'v1' })).toBe(2);
    expect(await countBulkTargets(db, { ownerId, statuses: ['ready'] })).toBe(1);
    expect(await countBulkTargets(db, { productIds: [b.product.id] })).toBe(2);

    const snapshotAt = new Date();
    const page1 = await pageBulkTargets(db, { ownerId }, { after: null, snapshotAt, limit: 2 });
    const page2 = await pageBulkTargets(
      db,
      { ownerId },
      { after: page1.at(-1)?.imageId ?? null, snapshotAt, limit: 2 },
    );
    const ids = [...page1, ...page2].map((t) => t.imageId);
    expect(ids).toHaveLength(3);
    expect([...ids].sort()).toEqual(ids);
    await product(ownerId, 1); // created after the snapshot: not a target
    const all = await pageBulkTargets(db, { ownerId }, { after: null, snapshotAt, limit: 100 });
    expect(all).toHaveLength(3);
  });

  it('allows one active job: a second start violates the unique index', async () => {
    const job = await db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 10, total: 0, createdBy: 'op' }),
      );
    const second = db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 10, total: 0, createdBy: 'op' }),
      );
    await expect(second).rejects.toBeInstanceOf(ConstraintViolationError);
    await expect(second).rejects.toMatchObject({
      constraint: ONE_ACTIVE_BULK_JOB,
      code: 'CONFLICT',
    });
    expect(await transitionBulkJob(db, job.id, ['running'], 'completed')).toBe(true);
    const third = await db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 10, total: 0, createdBy: 'op' }),
      );
    expect(third.status).toBe('running');
    await transitionBulkJob(db, third.id, ['running'], 'cancelled');
  });

  it('records each item outcome once, however often it is reported', async () => {
    const job = await db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 10, total: 2, createdBy: 'op' }),
      );
    const items = [
      { imageId: randomUUID(), productId: randomUUID() },
      { imageId: randomUUID(), productId: randomUUID() },
    ];
    expect((await insertBulkItems(db, job.id, items)).size).toBe(2);
    expect((await insertBulkItems(db, job.id, items)).size).toBe(0);
    const [one, two] = items as [(typeof items)[0], (typeof items)[0]];
    const record = (imageId: string, outcome: 'succeeded' | 'failed', shard: number) =>
      recordBulkItemOutcome(db, { bulkJobId: job.id, imageId, outcome, shard });
    expect(await record(one.imageId, 'succeeded', 3)).toBe(true);
    expect(await record(one.imageId, 'succeeded', 5)).toBe(false);
    expect(await record(one.imageId, 'failed', 5)).toBe(false);
    expect(await record(two.imageId, 'failed', 11)).toBe(true);
    const found = await findBulkJob(db, job.id);
    expect(found?.counts).toMatchObject({ succeeded: 1, failed: 1, skipped: 0, cancelled: 0 });
    expect(await countBulkItemsByState(db, job.id)).toEqual({ succeeded: 1, failed: 1 });
    await transitionBulkJob(db, job.id, ['running'], 'completed');
  });

  it('does not count time the bulk lane spent paused for an outage towards the item timeout', async () => {
    const job = await db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 10, total: 1, createdBy: 'op' }),
      );
    const item = { imageId: randomUUID(), productId: randomUUID() };
    await insertBulkItems(db, job.id, [item]);
    await sql`UPDATE bulk_job_items SET dispatched_at = now() - interval '100 seconds'
      WHERE bulk_job_id = ${job.id}`.execute(db);
    // Two processors paused by the same outage 50 s ago credit it once between them.
    const since = new Date(Date.now() - 50_000);
    expect(await creditBulkOutage(db, since)).toBe(1);
    await creditBulkOutage(db, since);
    const { rows } = await sql<{ s: number }>`
      SELECT outage_seconds AS s FROM bulk_jobs WHERE id = ${job.id}`.execute(db);
    expect(rows[0]?.s).toBeGreaterThanOrEqual(49);
    expect(rows[0]?.s).toBeLessThan(60);
    // 100 s dispatched, 50 s of it paused: not over a 60 s timeout, over a 40 s one.
    expect(await expireBulkItems(db, job.id, 60)).toBe(0);
    expect(await expireBulkItems(db, job.id, 40)).toBe(1);
    await transitionBulkJob(db, job.id, ['running'], 'completed');
    // A finished job is not credited any more.
    expect(await creditBulkOutage(db, since)).toBe(0);
  });

  it('keeps the first recorded rendition when two renders of the same bytes race', async () => {
    const base = {
      contentHash: randomUUID(),
      profileVersion: 'v9',
      placeholder: 'p',
      width: 10,
      height: 10,
      bytes: 100,
    };
    const winner = await recordRendition(db, {
      ...base,
      variants: [{ format: 'webp', width: 10, height: 10, bytes: 5, key: 'k1' }],
    });
    const loser = await recordRendition(db, {
      ...base,
      variants: [{ format: 'webp', width: 10, height: 10, bytes: 6, key: 'k2' }],
    });
    expect(winner.variants[0]?.key).toBe('k1');
    expect(loser.variants[0]?.key).toBe('k1');
  });

  it('backfills profile_version from the variant keys of ready images', async () => {
    const { rows } = await sql<{ v: string }>`
      SELECT split_part('variants/v7/abc/320.webp', '/', 2) AS v`.execute(db);
    expect(rows[0]?.v).toBe('v7');
  });
});
