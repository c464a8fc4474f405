import { type Kysely, sql } from 'kysely';

/**
 * Time the bulk lane spent paused for an outage of the processor's own services, per bulk job:
 * the item timeout does not count it. `outage_credited_until` makes crediting idempotent when
 * several processors are paused for the same outage (each credits only time not yet credited).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE bulk_jobs
      ADD COLUMN outage_seconds double precision NOT NULL DEFAULT 0,
      ADD COLUMN outage_credited_until timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE bulk_jobs DROP COLUMN outage_seconds, DROP COLUMN outage_credited_until`.execute(
    db,
  );
}
