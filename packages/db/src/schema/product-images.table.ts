import type { ImageStatus, ImageVariant } from '@zocket/contracts';
import type { ColumnType, Generated, JSONColumnType, Selectable } from 'kysely';

export interface ProductImagesTable {
  id: Generated<string>;
  product_id: string;
  position: number;
  source_kind: 'url' | 'upload';
  /** The remote URL (kind url) or the S3 object key of the uploaded original (kind upload). */
  source_ref: string;
  status: ColumnType<ImageStatus, ImageStatus | undefined, ImageStatus>;
  attempts: ColumnType<number, never, number>;
  last_error: string | null;
  failure_code: string | null;
  source_width: number | null;
  source_height: number | null;
  source_bytes: ColumnType<string | null, number | null, number | null>;
  content_hash: string | null;
  placeholder: string | null;
  variants: JSONColumnType<ImageVariant[], string | undefined, string>;
  /** The newest job requested for this image; results of any other job are stale. */
  job_id: string;
  processed_at: Date | null;
  /** The profile version of the current variants (null until first rendered). */
  profile_version: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
  /** Set by a trigger on every insert and update (int8, so a string): the live-status event id. */
  change_seq: ColumnType<string, never, never>;
}
export type ProductImageRow = Selectable<ProductImagesTable>;
