import type { BulkFilter, BulkJobStatus } from '@zocket/contracts';
import type { ColumnType, Generated, JSONColumnType, Selectable } from 'kysely';

export interface BulkJobsTable {
  id: Generated<string>;
  kind: 'reprocess';
  filter: JSONColumnType<BulkFilter, string, never>;
  status: BulkJobStatus;
  max_in_flight: number;
  /** Images created after this are not part of the job. */
  snapshot_at: ColumnType<Date, never, never>;
  /** The last image id dispatched (keyset enumeration by id). */
  cursor: string | null;
  enumeration_done: Generated<boolean>;
  /** int8 columns arrive as strings. */
  total: ColumnType<string, number, number>;
  dispatched: ColumnType<string, never, number>;
  created_by: string;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
  finished_at: Date | null;
  last_error: string | null;
  /** Seconds the bulk lane was paused for an outage of the processor's dependencies. */
  outage_seconds: ColumnType<number, never, number>;
  outage_credited_until: ColumnType<Date | null, never, Date | null>;
}
export type BulkJobRow = Selectable<BulkJobsTable>;
