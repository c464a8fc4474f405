import { AppError } from '@zocket/contracts';
import { createTestDatabase, type TestDatabase, testServices } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidDataError } from '../src/errors.js';
import { migrateToLatest } from '../src/migrate.js';
import { createDb, type Db } from '../src/pool.js';
import { insertProduct, listProducts } from '../src/queries/products.js';
import { ensureUser } from '../src/queries/users.js';

describe('a value PostgreSQL refuses as data', () => {
  let database: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    database = await createTestDatabase(testServices());
    db = createDb({ url: database.url, max: 2 });
    await migrateToLatest(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('is a BAD_REQUEST AppError, not an unknown error (NUL in text, 22021)', async () => {
    const ownerId = await ensureUser(db, 'data-errors');
    const error = await insertProduct(db, {
      ownerId,
      name: 'Mu\u0000g',
      description: '',
      price: { amountMinor: 1, currency: 'EUR' },
      images: [],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDataError);
    expect((error as AppError).code).toBe('BAD_REQUEST');
    expect((error as InvalidDataError).sqlState).toBe('22021');
  });

  it('is a BAD_REQUEST AppError for a timestamp out of range (22008)', async () => {
    const error = await listProducts(
      db,
      { limit: 5 },
      {
        ts: '0000-01-01T00:00:00.000000Z',
        id: '0b9f6a52-3c4d-4e5f-8a9b-0c1d2e3f4a5b',
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_REQUEST');
  });
});
