import type { ColumnType } from 'kysely';

type Count = ColumnType<string, number | undefined, number>;

/** Outcome counts of a job, split over BULK_COUNTER_SHARDS rows so writers do not queue on one. */
export interface BulkJobCountersTable {
  bulk_job_id: string;
  shard: number;
  succeeded: Count;
  failed: Count;
  skipped: Count;
  cancelled: Count;
}
