import type { BulkFilter, BulkJob, BulkJobStatus } from '@zocket/contracts';
import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { BulkJobRow } from '../schema/bulk-jobs.table.js';
import type { Database } from '../schema/database.js';
import {
  type BulkOutcomeCounts,
  createBulkCounters,
  sumBulkCounters,
} from './bulk-job-counters.js';

type Conn = Kysely<Database>;

/** The unique partial index that allows one active (running, paused, cancelling) job. */
export const ONE_ACTIVE_BULK_JOB = 'bulk_jobs_one_active';

const ZERO: BulkOutcomeCounts = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };

export function toBulkJob(row: BulkJobRow, counts: BulkOutcomeCounts = ZERO): BulkJob {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    filter: row.filter,
    counts: { total: Number(row.total), dispatched: Number(row.dispatched), ...counts },
    maxInFlight: row.max_in_flight,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    lastError: row.last_error,
  };
}

/** Items dispatched and not finished yet. */
export function inFlightOf(job: BulkJob): number {
  const { dispatched, succeeded, failed, skipped, cancelled } = job.counts;
  return dispatched - succeeded - failed - skipped - cancelled;
}

/**
 * Creates a running job with its counter rows. A second active job violates ONE_ACTIVE_BULK_JOB
 * (ConstraintViolationError, code CONFLICT).
 */
export function insertBulkJob(
  trx: Conn,
  job: { filter: BulkFilter; maxInFlight: number; total: number; createdBy: string },
): Promise<BulkJob> {
  return withDbErrors(async () => {
    const row = await trx
      .insertInto('bulk_jobs')
      .values({
        kind: 'reprocess',
        filter: JSON.stringify(job.filter),
        status: 'running',
        max_in_flight: job.maxInFlight,
        total: job.total,
        created_by: job.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await createBulkCounters(trx, row.id);
    return toBulkJob(row);
  });
}

async function withCounts(db: Conn, rows: BulkJobRow[]): Promise<BulkJob[]> {
  const counts = await sumBulkCounters(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toBulkJob(r, counts.get(r.id)));
}

/** The job with its counts; `lock` takes a row lock for the caller's transaction. */
export function findBulkJob(
  db: Conn,
  id: string,
  options: { lock?: boolean } = {},
): Promise<BulkJob | undefined> {
  return withDbErrors(async () => {
    let query = db.selectFrom('bulk_jobs').selectAll().where('id', '=', id);
    if (options.lock === true) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (row === undefined) return undefined;
    return (await withCounts(db, [row]))[0];
  });
}

/** The dispatcher's state of a job (cursor, snapshot), beside its contract shape. */
export interface BulkJobState {
  job: BulkJob;
  cursor: string | null;
  snapshotAt: Date;
  enumerationDone: boolean;
}

/**
 * Locks the job that needs the dispatcher (running or cancelling), skipping one another process
 * holds: several API processes tick together and each job is worked by one at a time.
 */
export function claimDispatchableBulkJob(trx: Conn): Promise<BulkJobState | undefined> {
  return withDbErrors(async () => {
    const row = await trx
      .selectFrom('bulk_jobs')
      .selectAll()
      .where('status', 'in', ['running', 'cancelling'])
      .orderBy('created_at')
      .limit(1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst();
    if (row === undefined) return undefined;
    const [job] = await withCounts(trx, [row]);
    return {
      job: job as BulkJob,
      cursor: row.cursor,
      snapshotAt: row.snapshot_at,
      enumerationDone: row.enumeration_done,
    };
  });
}

/** Moves the cursor after a dispatched page. */
export function advanceBulkJob(
  trx: Conn,
  id: string,
  page: { cursor: string | null; dispatched: number; enumerationDone: boolean },
): Promise<void> {
  return withDbErrors(async () => {
    await trx
      .updateTable('bulk_jobs')
      .set(() => ({
        cursor: page.cursor,
        dispatched: sql<number>`dispatched + ${page.dispatched}`,
        enumeration_done: page.enumerationDone,
        // Images deleted or no longer matching since the start drop out: total is what was found.
        ...(page.enumerationDone ? { total: sql<number>`dispatched + ${page.dispatched}` } : {}),
        updated_at: new Date(),
      }))
      .where('id', '=', id)
      .execute();
  });
}

/**
 * Changes the status if it is one of `from`; returns whether it changed. Terminal statuses set
 * finished_at.
 */
export function transitionBulkJob(
  db: Conn,
  id: string,
  from: readonly BulkJobStatus[],
  to: BulkJobStatus,
  lastError?: string,
): Promise<boolean> {
  return withDbErrors(async () => {
    const terminal = to === 'completed' || to === 'cancelled' || to === 'failed';
    const result = await db
      .updateTable('bulk_jobs')
      .set({
        status: to,
        updated_at: new Date(),
        ...(terminal ? { finished_at: new Date() } : {}),
        ...(lastError === undefined ? {} : { last_error: lastError.slice(0, 1000) }),
      })
      .where('id', '=', id)
      .where('status', 'in', [...from])
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  });
}

function encodeCursor(row: { created_at: Date; id: string }): string {
  return Buffer.from(`${row.created_at.toISOString()}|${row.id}`).toString('base64url');
}

function decodeBulkCursor(cursor: string): { createdAt: Date; id: string } | undefined {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (at === undefined || id === undefined || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const createdAt = new Date(at);
  return Number.isNaN(createdAt.getTime()) ? undefined : { createdAt, id };
}

/** Jobs newest first, keyset-paginated. An unreadable cursor yields undefined. */
export function listBulkJobs(
  db: Conn,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ items: BulkJob[]; nextCursor: string | null } | undefined> {
  return withDbErrors(async () => {
    let query = db
      .selectFrom('bulk_jobs')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (page.cursor !== undefined) {
      const after = decodeBulkCursor(page.cursor);
      if (after === undefined) return undefined;
      query = query.where((eb) =>
        eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)),
      );
    }
    const rows = await query.execute();
    const more = rows.length > page.limit;
    const kept = rows.slice(0, page.limit);
    const last = kept.at(-1);
    return {
      items: await withCounts(db, kept),
      nextCursor: more && last !== undefined ? encodeCursor(last) : null,
    };
  });
}
