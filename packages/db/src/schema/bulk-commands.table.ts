import type { ColumnType } from 'kysely';

/** Idempotency keys of applied `image-bulk-commands` events. */
export interface BulkCommandsTable {
  idempotency_key: string;
  command: string;
  bulk_job_id: string | null;
  received_at: ColumnType<Date, never, never>;
}
