import type { ColumnType, Selectable } from 'kysely';

export const BULK_ITEM_STATES = [
  'dispatched',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type BulkItemState = (typeof BULK_ITEM_STATES)[number];
/** A final state of an item, recorded once. */
export type BulkItemOutcome = Exclude<BulkItemState, 'dispatched'>;

export interface BulkJobItemsTable {
  bulk_job_id: string;
  image_id: string;
  product_id: string;
  state: ColumnType<BulkItemState, BulkItemState | undefined, BulkItemState>;
  dispatched_at: ColumnType<Date, never, never>;
  finished_at: Date | null;
}
export type BulkJobItemRow = Selectable<BulkJobItemsTable>;
