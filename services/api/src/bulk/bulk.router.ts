import { setTimeout as sleep } from 'node:timers/promises';
import { tracked } from '@trpc/server';
import {
  type BulkJob,
  bulkIdInput,
  bulkJobSchema,
  bulkListInput,
  bulkPageSchema,
  bulkPreviewInput,
  bulkProgressInput,
  bulkStartInput,
  TERMINAL_BULK_STATUSES,
} from '@zocket/contracts';
import { z } from 'zod';
import { operatorProcedure, router } from '../trpc/trpc.js';
import {
  commandBulk,
  dlqCount,
  getBulk,
  listBulk,
  previewBulk,
  startBulk,
} from './bulk.service.js';

const TAGS = ['bulk'];
const bearer = { protect: true } as const;
const PROGRESS_POLL_MS = 1_000;

/** Changes whenever a count or the status changes: the subscription's event id. */
export function progressId(job: BulkJob): string {
  const c = job.counts;
  return [job.status, c.total, c.dispatched, c.succeeded, c.failed, c.skipped, c.cancelled].join(
    '.',
  );
}

const action = (verb: 'pause' | 'resume' | 'cancel', summary: string) =>
  operatorProcedure
    .meta({
      openapi: { method: 'POST', path: `/bulk/jobs/{id}/${verb}`, tags: TAGS, ...bearer, summary },
    })
    .input(bulkIdInput)
    .output(bulkJobSchema)
    .mutation(({ ctx, input }) => commandBulk(ctx.api.db, input.id, verb));

/** Bulk reprocessing, operators only (a `roles` claim containing "operator"). */
export const bulkRouter = router({
  preview: operatorProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/bulk/preview',
        tags: TAGS,
        ...bearer,
        summary: 'How many images a bulk filter selects now (nothing is started)',
      },
    })
    .input(bulkPreviewInput)
    .output(z.object({ total: z.number().int() }))
    .mutation(({ ctx, input }) => previewBulk(ctx.api, input.filter)),

  start: operatorProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/bulk/jobs',
        tags: TAGS,
        ...bearer,
        summary: 'Start re-rendering the filtered images (409 while another job is active)',
      },
    })
    .input(bulkStartInput)
    .output(bulkJobSchema)
    .mutation(({ ctx, input }) => startBulk(ctx.api.db, ctx.authUser.subject, input)),

  get: operatorProcedure
    .meta({
      openapi: { method: 'GET', path: '/bulk/jobs/{id}', tags: TAGS, ...bearer, summary: 'A job' },
    })
    .input(bulkIdInput)
    .output(bulkJobSchema)
    .query(({ ctx, input }) => getBulk(ctx.api.db, input.id)),

  list: operatorProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/bulk/jobs',
        tags: TAGS,
        ...bearer,
        summary: 'Jobs, newest first, cursor-paginated',
      },
    })
    .input(bulkListInput)
    .output(bulkPageSchema)
    .query(({ ctx, input }) => listBulk(ctx.api.db, input)),

  pause: action('pause', 'Stop dispatching; items already queued still run'),
  resume: action('resume', 'Continue dispatching from where the job paused'),
  cancel: action('cancel', 'Stop the job; queued items are dropped, then it is cancelled'),

  dlqCount: operatorProcedure
    .meta({
      openapi: {
        method: 'GET',
        path: '/bulk/dlq-count',
        tags: TAGS,
        ...bearer,
        summary: 'Messages waiting in image-jobs.dlq',
      },
    })
    .input(z.object({}).optional())
    .output(z.object({ count: z.number().int() }))
    .query(({ ctx }) => dlqCount(ctx.api)),

  /**
   * The job whenever its counts or status change (polled about every second), then the stream
   * ends after a terminal status. Resumes after `lastEventId`. No REST twin: OpenAPI has no
   * subscriptions.
   */
  onProgress: operatorProcedure.input(bulkProgressInput).subscription(async function* ({
    ctx,
    input,
    signal,
  }) {
    let last = input.lastEventId;
    while (signal?.aborted !== true) {
      const job = await getBulk(ctx.api.db, input.id);
      const id = progressId(job);
      if (id !== last) {
        last = id;
        yield tracked(id, job);
      }
      if (TERMINAL_BULK_STATUSES.includes(job.status)) return;
      await sleep(PROGRESS_POLL_MS, undefined, signal === undefined ? {} : { signal }).catch(
        () => {},
      );
    }
  }),
});
