import { migrateToLatest } from '../migrate.js';
import { createDb } from '../pool.js';

const url = process.env.DATABASE_URL ?? 'postgres://zocket:zocket@127.0.0.1:5432/zocket';
const db = createDb({ url, max: 1, applicationName: 'zocket-migrate' });
try {
  const { applied } = await migrateToLatest(db);
  process.stderr.write(
    applied.length === 0 ? 'database is up to date\n' : `applied: ${applied.join(', ')}\n`,
  );
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  if (error instanceof Error && error.cause !== undefined) {
    process.stderr.write(`  cause: ${String(error.cause)}\n`);
  }
  process.exitCode = 1;
} finally {
  await db.destroy();
}
