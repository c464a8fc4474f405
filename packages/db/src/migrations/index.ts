import type { Migration, MigrationProvider } from 'kysely/migration';
import * as initial from './2026-11-26T1300-initial.js';
import * as bulkJobs from './2026-11-29T1200-bulk-jobs.js';
import * as liveAndUploads from './2026-11-29T1300-live-and-uploads.js';
import * as bulkOutageCredit from './2026-12-07T1200-bulk-outage-credit.js';

/** Every migration, registered explicitly; names sort in the order they must run. */
const migrations: Record<string, Migration> = {
  '2026-11-26T1300-initial': initial,
  '2026-11-29T1200-bulk-jobs': bulkJobs,
  '2026-11-29T1300-live-and-uploads': liveAndUploads,
  '2026-12-07T1200-bulk-outage-credit': bulkOutageCredit,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
