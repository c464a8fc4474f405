import type { ColumnType } from 'kysely';

/** Written by a trigger when an image row is deleted, so subscribers learn of the removal. */
export interface ProductImageTombstonesTable {
  image_id: string;
  product_id: string;
  change_seq: ColumnType<string, never, never>;
  deleted_at: ColumnType<Date, never, never>;
}
