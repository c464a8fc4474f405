import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { Database } from '../schema/database.js';

type Conn = Kysely<Database>;

/** Counter rows per job: processors add to `partition % shards`, so no single row is hot. */
export const BULK_COUNTER_SHARDS = 8;

export interface BulkOutcomeCounts {
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** Creates the job's counter rows; call in the transaction that creates the job. */
export function createBulkCounters(trx: Conn, bulkJobId: string): Promise<void> {
  return withDbErrors(async () => {
    await trx
      .insertInto('bulk_job_counters')
      .values(
        Array.from({ length: BULK_COUNTER_SHARDS }, (_, shard) => ({
          bulk_job_id: bulkJobId,
          shard,
        })),
      )
      .execute();
  });
}

/** The job's outcome counts, summed over its shards, by job id. */
export function sumBulkCounters(
  db: Conn,
  bulkJobIds: readonly string[],
): Promise<Map<string, BulkOutcomeCounts>> {
  return withDbErrors(async () => {
    const result = new Map<string, BulkOutcomeCounts>();
    if (bulkJobIds.length === 0) return result;
    const rows = await db
      .selectFrom('bulk_job_counters')
      .select([
        'bulk_job_id',
        sql<string>`sum(succeeded)`.as('succeeded'),
        sql<string>`sum(failed)`.as('failed'),
        sql<string>`sum(skipped)`.as('skipped'),
        sql<string>`sum(cancelled)`.as('cancelled'),
      ])
      .where('bulk_job_id', 'in', bulkJobIds)
      .groupBy('bulk_job_id')
      .execute();
    for (const row of rows) {
      result.set(row.bulk_job_id, {
        succeeded: Number(row.succeeded),
        failed: Number(row.failed),
        skipped: Number(row.skipped),
        cancelled: Number(row.cancelled),
      });
    }
    return result;
  });
}
