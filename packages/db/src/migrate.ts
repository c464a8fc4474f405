import { type MigrationResult, Migrator } from 'kysely/migration';
import { migrationProvider } from './migrations/index.js';
import type { Db } from './pool.js';

export interface MigrateOutcome {
  applied: string[];
}

/** Applies every pending migration. Safe to run again: applied ones are skipped. */
export async function migrateToLatest(db: Db): Promise<MigrateOutcome> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  const applied = (results ?? [])
    .filter((r: MigrationResult) => r.status === 'Success')
    .map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = (results ?? []).find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? '(unknown)'} failed`, { cause: error });
  }
  return { applied };
}
