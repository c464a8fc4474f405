import type { ColumnType, Selectable } from 'kysely';

export type UploadStatus = 'pending' | 'completed' | 'rejected' | 'expired';

/** One presigned upload URL handed out, and what became of it. */
export interface UploadsTable {
  id: string;
  owner_id: string;
  product_id: string;
  object_key: string;
  declared_type: string;
  declared_bytes: ColumnType<string, number, never>;
  declared_sha256: string | null;
  status: ColumnType<UploadStatus, UploadStatus | undefined, UploadStatus>;
  image_id: string | null;
  created_at: ColumnType<Date, never, never>;
  expires_at: Date;
  completed_at: Date | null;
}
export type UploadRow = Selectable<UploadsTable>;
