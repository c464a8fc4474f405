import { type Kysely, sql } from 'kysely';

/**
 * Bulk reprocessing and renditions: the profile version of each image's variants, bulk jobs with
 * their items and sharded counters, processed bulk commands (idempotency), and renditions keyed by
 * (source sha256, profile version) so the same bytes are rendered once per profile.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE product_images ADD COLUMN profile_version text`.execute(db);
  // Variant keys are variants/<profile>/<sha256>/<width>.<format>.
  await sql`UPDATE product_images SET profile_version = split_part(variants->0->>'key', '/', 2)
            WHERE status = 'ready' AND jsonb_array_length(variants) > 0`.execute(db);

  await sql`CREATE TABLE bulk_jobs (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind text NOT NULL CHECK (kind IN ('reprocess')),
    filter jsonb NOT NULL,
    status text NOT NULL CHECK (status IN ('running','paused','cancelling','cancelled','completed','failed')),
    max_in_flight integer NOT NULL CHECK (max_in_flight > 0),
    snapshot_at timestamptz NOT NULL DEFAULT now(),
    cursor uuid,
    enumeration_done boolean NOT NULL DEFAULT false,
    total bigint NOT NULL,
    dispatched bigint NOT NULL DEFAULT 0,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    last_error text
  )`.execute(db);
  // One active job at a time, enforced by PostgreSQL rather than by a check-then-insert race.
  await sql`CREATE UNIQUE INDEX bulk_jobs_one_active ON bulk_jobs ((true))
            WHERE status IN ('running','paused','cancelling')`.execute(db);
  await sql`CREATE INDEX bulk_jobs_created_idx ON bulk_jobs (created_at DESC, id DESC)`.execute(db);

  // No foreign key to product_images: an image may be deleted while its item is in flight.
  await sql`CREATE TABLE bulk_job_items (
    bulk_job_id uuid NOT NULL REFERENCES bulk_jobs ON DELETE CASCADE,
    image_id uuid NOT NULL,
    product_id uuid NOT NULL,
    state text NOT NULL DEFAULT 'dispatched'
      CHECK (state IN ('dispatched','succeeded','failed','skipped','cancelled')),
    dispatched_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (bulk_job_id, image_id)
  )`.execute(db);
  await sql`CREATE INDEX bulk_job_items_open_idx ON bulk_job_items (bulk_job_id, dispatched_at)
            WHERE state = 'dispatched'`.execute(db);

  // Outcomes are added to one of several rows per job, so processors never queue on one hot row.
  await sql`CREATE TABLE bulk_job_counters (
    bulk_job_id uuid NOT NULL REFERENCES bulk_jobs ON DELETE CASCADE,
    shard smallint NOT NULL,
    succeeded bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    skipped bigint NOT NULL DEFAULT 0,
    cancelled bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (bulk_job_id, shard)
  )`.execute(db);

  await sql`CREATE TABLE bulk_commands (
    idempotency_key text PRIMARY KEY,
    command text NOT NULL,
    bulk_job_id uuid,
    received_at timestamptz NOT NULL DEFAULT now()
  )`.execute(db);

  // URLs are not stored: they are derived from PUBLIC_IMAGE_BASE_URL when a rendition is used.
  await sql`CREATE TABLE image_renditions (
    content_hash text NOT NULL,
    profile_version text NOT NULL,
    variants jsonb NOT NULL,
    placeholder text NOT NULL,
    source_width integer NOT NULL,
    source_height integer NOT NULL,
    source_bytes bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (content_hash, profile_version)
  )`.execute(db);
  await sql`INSERT INTO image_renditions
              (content_hash, profile_version, variants, placeholder, source_width, source_height, source_bytes)
            SELECT DISTINCT ON (content_hash, profile_version)
                   content_hash, profile_version,
                   (SELECT coalesce(jsonb_agg(v - 'url'), '[]'::jsonb) FROM jsonb_array_elements(variants) v),
                   placeholder, source_width, source_height, source_bytes
            FROM product_images
            WHERE status = 'ready' AND profile_version IS NOT NULL AND content_hash IS NOT NULL
              AND placeholder IS NOT NULL AND source_width IS NOT NULL
            ORDER BY content_hash, profile_version, processed_at DESC`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE image_renditions`.execute(db);
  await sql`DROP TABLE bulk_commands`.execute(db);
  await sql`DROP TABLE bulk_job_counters`.execute(db);
  await sql`DROP TABLE bulk_job_items`.execute(db);
  await sql`DROP TABLE bulk_jobs`.execute(db);
  await sql`ALTER TABLE product_images DROP COLUMN profile_version`.execute(db);
}
