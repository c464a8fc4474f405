import {
  AppError,
  type BulkCommandName,
  type BulkFilter,
  type BulkJob,
  type BulkJobStatus,
  type BulkStartInput,
  DEFAULT_BULK_IN_FLIGHT,
} from '@zocket/contracts';
import {
  ConstraintViolationError,
  countBulkTargets,
  type Db,
  findBulkJob,
  insertBulkJob,
  listBulkJobs,
  ONE_ACTIVE_BULK_JOB,
  transitionBulkJob,
} from '@zocket/db';
import type { ApiContext } from '../api-context.js';

/*
 * Bulk jobs as the procedures, the CLI and the command consumer see them. Every status change is a
 * guarded UPDATE (from -> to), so concurrent callers and the dispatcher never lose a transition.
 */

function notFound(id: string): AppError {
  return new AppError('NOT_FOUND', `bulk job ${id} not found`);
}

export async function previewBulk(ctx: ApiContext, filter: BulkFilter): Promise<{ total: number }> {
  return { total: await countBulkTargets(ctx.db, filter) };
}

/**
 * Creates a job over a snapshot of the filter's images in the caller's transaction; CONFLICT
 * while another one is active.
 */
export async function createBulkJob(
  trx: Db,
  createdBy: string,
  input: BulkStartInput,
): Promise<BulkJob> {
  try {
    const total = await countBulkTargets(trx, input.filter);
    return await insertBulkJob(trx, {
      filter: input.filter,
      maxInFlight: input.maxInFlight ?? DEFAULT_BULK_IN_FLIGHT,
      total,
      createdBy,
    });
  } catch (error) {
    if (error instanceof ConstraintViolationError && error.constraint === ONE_ACTIVE_BULK_JOB) {
      throw new AppError(
        'CONFLICT',
        'a bulk job is already active: pause, resume, cancel or wait for it (bulk.list shows it)',
        { cause: error },
      );
    }
    throw error;
  }
}

export function startBulk(db: Db, createdBy: string, input: BulkStartInput): Promise<BulkJob> {
  return db.transaction().execute((trx) => createBulkJob(trx, createdBy, input));
}

export async function getBulk(db: Db, id: string): Promise<BulkJob> {
  const job = await findBulkJob(db, id);
  if (job === undefined) throw notFound(id);
  return job;
}

export async function listBulk(db: Db, page: { limit: number; cursor?: string | undefined }) {
  const result = await listBulkJobs(db, page);
  if (result === undefined) throw new AppError('BAD_REQUEST', 'invalid cursor');
  return result;
}

/** What each command moves from, what it moves to, and the statuses where it is already done. */
const TRANSITIONS: Record<
  Exclude<BulkCommandName, 'start'>,
  { from: BulkJobStatus[]; to: BulkJobStatus; done: BulkJobStatus[] }
> = {
  pause: { from: ['running'], to: 'paused', done: ['paused'] },
  resume: { from: ['paused'], to: 'running', done: ['running'] },
  // Cooperative: the dispatcher stops, processors drop the job's queued items, and the
  // dispatcher moves it to `cancelled` once nothing is in flight.
  cancel: { from: ['running', 'paused'], to: 'cancelling', done: ['cancelling', 'cancelled'] },
};

/** Pause, resume or cancel. Repeating a command is harmless; a finished job answers CONFLICT. */
export async function commandBulk(
  db: Db,
  id: string,
  command: Exclude<BulkCommandName, 'start'>,
): Promise<BulkJob> {
  const rule = TRANSITIONS[command];
  if (await transitionBulkJob(db, id, rule.from, rule.to)) return getBulk(db, id);
  const job = await getBulk(db, id);
  if (rule.done.includes(job.status)) return job;
  throw new AppError('CONFLICT', `cannot ${command} bulk job ${id}: it is ${job.status}`);
}

/** Messages waiting in the dead-letter topic of image jobs (both lanes share it). */
export async function dlqCount(ctx: ApiContext): Promise<{ count: number }> {
  const admin = ctx.kafka.admin();
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(ctx.topics.imageJobsDlq);
    return {
      count: offsets.reduce((sum, p) => sum + (Number(p.high) - Number(p.low)), 0),
    };
  } catch (error) {
    throw new AppError('UNAVAILABLE', 'cannot read the dead-letter topic right now', {
      cause: error,
      retryable: true,
    });
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
