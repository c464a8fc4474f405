import { type Generated, Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../src/isolation.js';
import { testServices } from '../../src/services.js';

describe('PostgreSQL through kysely/pg', () => {
  let database: TestDatabase;
  let db: Kysely<{ notes: { id: Generated<number>; body: string } }>;

  beforeAll(async () => {
    database = await createTestDatabase(testServices());
    db = new Kysely({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: database.url }) }),
    });
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('runs DDL and queries in a database of its own', async () => {
    await db.schema
      .createTable('notes')
      .addColumn('id', 'serial', (c) => c.primaryKey())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.insertInto('notes').values({ body: 'hello' }).execute();
    const rows = await db.selectFrom('notes').select(['body']).execute();
    expect(rows).toEqual([{ body: 'hello' }]);
    const { rows: version } = await sql<{
      v: string;
    }>`select current_setting('server_version_num') as v`.execute(db);
    expect(Number(version[0]?.v)).toBeGreaterThanOrEqual(150000);
  });

  it('has pg_trgm available for the name search index', async () => {
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
    const { rows } = await sql<{ s: number }>`select similarity('zocket', 'zocket') as s`.execute(
      db,
    );
    expect(rows[0]?.s).toBe(1);
  });
});
