import type { ColumnType, JSONColumnType, Selectable } from 'kysely';

/** A variant as stored in a rendition: no URL (derived from PUBLIC_IMAGE_BASE_URL when used). */
export interface RenditionVariant {
  format: 'webp' | 'avif';
  width: number;
  height: number;
  bytes: number;
  key: string;
}

export interface ImageRenditionsTable {
  content_hash: string;
  profile_version: string;
  variants: JSONColumnType<RenditionVariant[], string, never>;
  placeholder: string;
  source_width: number;
  source_height: number;
  source_bytes: ColumnType<string, number, never>;
  created_at: ColumnType<Date, never, never>;
}
export type ImageRenditionRow = Selectable<ImageRenditionsTable>;
