import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase, testServices } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/migrate.js';
import { createDb, type Db } from '../src/pool.js';
import {
  hasImageChangesAfter,
  latestImageChanges,
  purgeImageTombstones,
  readImageChanges,
} from '../src/queries/image-changes.js';
import {
  completeImageJob,
  replaceProductImages,
  startImageJob,
} from '../src/queries/product-images.js';
import { insertProduct } from '../src/queries/products.js';
import { ensureUser } from '../src/queries/users.js';

const result = {
  variants: [],
  placeholder: 'ph',
  width: 10,
  height: 10,
  bytes: 100,
  profileVersion: 'v1',
  contentHash: 'a'.repeat(64),
};

describe('image change feed (change_seq) against real PostgreSQL', () => {
  let database: TestDatabase;
  let db: Db;
  let ownerId: string;

  beforeAll(async () => {
    database = await createTestDatabase(testServices());
    db = createDb({ url: database.url, max: 6 });
    await migrateToLatest(db);
    ownerId = await ensureUser(db, `user-${randomUUID()}`);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const newProduct = async (urls: string[]) => {
    const { product, jobs } = await insertProduct(db, {
      ownerId,
      name: 'Mug',
      description: '',
      price: { amountMinor: 100, currency: 'EUR' },
      images: urls.map((url) => ({ kind: 'url' as const, url })),
    });
    return { id: product.id, jobs };
  };

  it('snapshots every image, then returns only later changes, in sequence order', async () => {
    const { id, jobs } = await newProduct([
      'https://example.com/a.jpg',
      'https://example.com/b.jpg',
    ]);
    const snapshot = await readImageChanges(db, id, undefined, 100);
    expect(snapshot.changes.map((c) => c.image?.status)).toEqual(['pending', 'pending']);
    const through = snapshot.through;
    expect(through).toBe(Math.max(...snapshot.changes.map((c) => c.changeSeq)));
    expect(await hasImageChangesAfter(db, id, through)).toBe(false);

    const [a, b] = jobs;
    if (a === undefined || b === undefined) throw new Error('two jobs expected');
    await startImageJob(db, { imageId: b.imageId, jobId: b.jobId });
    await completeImageJob(db, { imageId: a.imageId, jobId: a.jobId }, result);
    expect(await hasImageChangesAfter(db, id, through)).toBe(true);
    const later = await readImageChanges(db, id, through, 100);
    expect(later.changes.map((c) => [c.imageId, c.image?.status])).toEqual([
      [b.imageId, 'processing'],
      [a.imageId, 'ready'],
    ]);
    expect(later.through).toBe(later.changes[1]?.changeSeq);
    // Nothing is returned twice.
    expect((await readImageChanges(db, id, later.through, 100)).changes).toEqual([]);
  });

  it('reports removed images as changes with image null', async () => {
    const { id, jobs } = await newProduct(['https://example.com/old.jpg']);
    const { through } = await readImageChanges(db, id, undefined, 100);
    await db
      .transaction()
      .execute((trx) =>
        replaceProductImages(trx, id, [{ kind: 'url', url: 'https://example.com/new.jpg' }]),
      );
    const { changes } = await readImageChanges(db, id, through, 100);
    expect(changes).toHaveLength(2);
    const removed = changes.find((c) => c.image === null);
    expect(removed?.imageId).toBe(jobs[0]?.imageId);
    expect(changes.find((c) => c.image !== null)?.image?.source).toEqual({
      kind: 'url',
      url: 'https://example.com/new.jpg',
    });
    // A fresh snapshot does not carry old removals, and its `through` skips them.
    const again = await readImageChanges(db, id, undefined, 100);
    expect(again.changes.every((c) => c.image !== null)).toBe(true);
    expect(again.through).toBe(Math.max(...changes.map((c) => c.changeSeq)));
    expect(await purgeImageTombstones(db, 3600)).toBe(0);
    // The poll's view: the newest number, a removal included; 0 for a product without images.
    const empty = await newProduct([]);
    const latest = await latestImageChanges(db, [id, empty.id]);
    expect(latest.get(id)).toBe(again.through);
    expect(latest.get(empty.id)).toBe(0);
  });

  it('never returns a later number while an earlier one of the product is uncommitted', async () => {
    const { id, jobs } = await newProduct([
      'https://example.com/1.jpg',
      'https://example.com/2.jpg',
    ]);
    const [first, second] = jobs;
    if (first === undefined || second === undefined) throw new Error('two jobs expected');
    const { through } = await readImageChanges(db, id, undefined, 100);

    let commitFirst: () => void = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      commitFirst = resolve;
    });
    let firstTookNumber: () => void = () => {};
    const tookNumber = new Promise<void>((resolve) => {
      firstTookNumber = resolve;
    });
    // Writer 1 takes its number and holds its transaction open...
    const writer1 = db.transaction().execute(async (trx) => {
      await completeImageJob(trx, { imageId: first.imageId, jobId: first.jobId }, result);
      firstTookNumber();
      await firstHeld;
    });
    await tookNumber;
    // ...writer 2 takes a larger number and commits first (writers do not wait for each other).
    await completeImageJob(db, { imageId: second.imageId, jobId: second.jobId }, result);

    let read: Awaited<ReturnType<typeof readImageChanges>> | undefined;
    const reading = readImageChanges(db, id, through, 100).then((r) => {
      read = r;
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The reader waits rather than hand out writer 2's number before writer 1's.
    expect(read).toBeUndefined();
    commitFirst();
    await writer1;
    await reading;
    expect(read?.changes.map((c) => c.imageId)).toEqual([first.imageId, second.imageId]);
    const seqs = read?.changes.map((c) => c.changeSeq) ?? [];
    expect(seqs[0]).toBeLessThan(seqs[1] ?? 0);
  });
});
