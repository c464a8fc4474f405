import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema/database.js';

export interface DbOptions {
  url: string;
  /** Maximum connections in the pool. */
  max?: number;
  /** Sets search_path on every connection, for tests that isolate themselves in a schema. */
  schema?: string;
  statementTimeoutMs?: number;
  applicationName?: string;
}

export type Db = Kysely<Database>;

/** Creates a Kysely instance over a pg pool. `db.destroy()` closes the pool. */
export function createDb(options: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'zocket',
    ...(options.statementTimeoutMs === undefined
      ? {}
      : { statement_timeout: options.statementTimeoutMs }),
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema},public` }),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
