import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { BulkItemOutcome } from '../schema/bulk-job-items.table.js';
import type { Database } from '../schema/database.js';
import { BULK_COUNTER_SHARDS } from './bulk-job-counters.js';

type Conn = Kysely<Database>;

export interface BulkItemRef {
  imageId: string;
  productId: string;
}

/**
 * Inserts the items of one dispatched page; returns the image ids actually inserted (an item
 * already present is never dispatched twice).
 */
export function insertBulkItems(
  trx: Conn,
  bulkJobId: string,
  items: readonly BulkItemRef[],
): Promise<Set<string>> {
  return withDbErrors(async () => {
    if (items.length === 0) return new Set<string>();
    const rows = await trx
      .insertInto('bulk_job_items')
      .values(
        items.map((i) => ({
          bulk_job_id: bulkJobId,
          image_id: i.imageId,
          product_id: i.productId,
        })),
      )
      .onConflict((oc) => oc.columns(['bulk_job_id', 'image_id']).doNothing())
      .returning('image_id')
      .execute();
    return new Set(rows.map((r) => r.image_id));
  });
}

/**
 * Records an item's outcome exactly once: only a `dispatched` item moves, and the counter shard is
 * incremented in the same statement, so a redelivered job changes nothing. True when it moved.
 */
export function recordBulkItemOutcome(
  db: Conn,
  item: { bulkJobId: string; imageId: string; outcome: BulkItemOutcome; shard: number },
): Promise<boolean> {
  const shard = Math.abs(Math.trunc(item.shard)) % BULK_COUNTER_SHARDS;
  const column = sql.ref(item.outcome);
  return withDbErrors(async () => {
    const { rows } = await sql<{ moved: number }>`
      WITH done AS (
        UPDATE bulk_job_items SET state = ${item.outcome}, finished_at = now()
        WHERE bulk_job_id = ${item.bulkJobId} AND image_id = ${item.imageId} AND state = 'dispatched'
        RETURNING 1
      ), counted AS (
        UPDATE bulk_job_counters SET ${column} = ${column} + (SELECT count(*) FROM done)
        WHERE bulk_job_id = ${item.bulkJobId} AND shard = ${shard} AND EXISTS (SELECT 1 FROM done)
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM done)::int AS moved`.execute(db);
    return (rows[0]?.moved ?? 0) > 0;
  });
}

/**
 * Marks items dispatched longer ago than `olderThanSeconds` as failed (their job outlived every
 * retry, or the message was lost), so a job always ends. Time the bulk lane spent paused for an
 * outage (the job's `outage_seconds`) does not count. Returns how many.
 */
export function expireBulkItems(
  db: Conn,
  bulkJobId: string,
  olderThanSeconds: number,
): Promise<number> {
  return withDbErrors(async () => {
    const { rows } = await sql<{ expired: number }>`
      WITH expired AS (
        UPDATE bulk_job_items SET state = 'failed', finished_at = now()
        WHERE bulk_job_id = ${bulkJobId} AND state = 'dispatched'
          AND dispatched_at < now() - make_interval(secs => ${olderThanSeconds} + (
            SELECT outage_seconds FROM bulk_jobs WHERE id = ${bulkJobId}))
        RETURNING 1
      ), counted AS (
        UPDATE bulk_job_counters SET failed = failed + (SELECT count(*) FROM expired)
        WHERE bulk_job_id = ${bulkJobId} AND shard = 0 AND EXISTS (SELECT 1 FROM expired)
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM expired)::int AS expired`.execute(db);
    return rows[0]?.expired ?? 0;
  });
}

/** Items of a job by state (tests and diagnostics). */
export function countBulkItemsByState(
  db: Conn,
  bulkJobId: string,
): Promise<Record<string, number>> {
  return withDbErrors(async () => {
    const rows = await db
      .selectFrom('bulk_job_items')
      .select(['state', sql<string>`count(*)`.as('n')])
      .where('bulk_job_id', '=', bulkJobId)
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  });
}

/**
 * Credits the active bulk jobs with time the bulk lane has been paused since `since` for an outage
 * of the processor's own services, so their item timeout does not count it. Idempotent across
 * processors and calls: only time after the job's last credit is added.
 */
export function creditBulkOutage(db: Conn, since: Date): Promise<number> {
  return withDbErrors(async () => {
    const result = await sql`
      UPDATE bulk_jobs SET
        outage_seconds = outage_seconds + greatest(0, extract(epoch FROM
          now() - greatest(${since}::timestamptz, coalesce(outage_credited_until, ${since}::timestamptz)))),
        outage_credited_until = now()
      WHERE status IN ('running', 'paused', 'cancelling')`.execute(db);
    return Number(result.numAffectedRows ?? 0);
  });
}
