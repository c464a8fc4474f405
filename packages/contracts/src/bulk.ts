import { z } from 'zod';
import { idSchema, imageStatusSchema } from './products.js';

/** Statuses of a bulk job. `completed` means every item ran, not that every item succeeded. */
export const BULK_JOB_STATUSES = [
  'running',
  'paused',
  'cancelling',
  'cancelled',
  'completed',
  'failed',
] as const;
export type BulkJobStatus = (typeof BULK_JOB_STATUSES)[number];
/** A job in one of these holds the one active slot. */
export const ACTIVE_BULK_STATUSES: readonly BulkJobStatus[] = ['running', 'paused', 'cancelling'];
export const TERMINAL_BULK_STATUSES: readonly BulkJobStatus[] = [
  'cancelled',
  'completed',
  'failed',
];

export const MAX_BULK_IN_FLIGHT = 10_000;
export const DEFAULT_BULK_IN_FLIGHT = 200;

const profileSlug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, { error: 'must be a profile version such as v2' });

/** Which images a bulk job touches; every field narrows, and an empty filter means every image. */
export const bulkFilterSchema = z
  .object({
    /** Images whose variants were not rendered with this profile version (never rendered included). */
    profileNot: profileSlug.optional(),
    statuses: z.array(imageStatusSchema).min(1).max(4).optional(),
    /** The products' ownerId. */
    ownerId: idSchema.optional(),
    productIds: z.array(idSchema).min(1).max(1000).optional(),
  })
  .strict();
export type BulkFilter = z.infer<typeof bulkFilterSchema>;

export const bulkCountsSchema = z.object({
  total: z.number().int(),
  dispatched: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  cancelled: z.number().int(),
});
export type BulkCounts = z.infer<typeof bulkCountsSchema>;

export const bulkJobSchema = z.object({
  id: idSchema,
  kind: z.literal('reprocess'),
  status: z.enum(BULK_JOB_STATUSES),
  filter: bulkFilterSchema,
  counts: bulkCountsSchema,
  maxInFlight: z.number().int(),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
});
export type BulkJob = z.infer<typeof bulkJobSchema>;

export const bulkPreviewInput = z.object({ filter: bulkFilterSchema.default({}) });
export const bulkStartInput = z.object({
  filter: bulkFilterSchema.default({}),
  maxInFlight: z.number().int().min(1).max(MAX_BULK_IN_FLIGHT).optional(),
});
export type BulkStartInput = z.infer<typeof bulkStartInput>;
export const bulkIdInput = z.object({ id: idSchema });
export const bulkListInput = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(200).optional(),
});
export const bulkPageSchema = z.object({
  items: z.array(bulkJobSchema),
  nextCursor: z.string().nullable(),
});
export const bulkProgressInput = z.object({ id: idSchema, lastEventId: z.string().optional() });

/** The four commands a bulk job accepts, from tRPC, REST, the CLI or `image-bulk-commands`. */
export const BULK_COMMANDS = ['start', 'pause', 'resume', 'cancel'] as const;
export type BulkCommandName = (typeof BULK_COMMANDS)[number];

const commandBase = {
  type: z.literal('bulk.command'),
  version: z.literal(1),
  /** The same key twice is applied once (a producer may retry freely). */
  idempotencyKey: z.string().min(1).max(200),
  /** Who asks (recorded as the job's createdBy for start, as `kafka:<requestedBy>`). */
  requestedBy: z.string().min(1).max(200),
  requestedAt: z.iso.datetime(),
};

/** `image-bulk-commands` v1: start, pause, resume or cancel a bulk job (key = idempotencyKey). */
export const bulkCommandEventV1 = z.discriminatedUnion('command', [
  z
    .object({
      ...commandBase,
      command: z.literal('start'),
      filter: bulkFilterSchema.default({}),
      maxInFlight: z.number().int().min(1).max(MAX_BULK_IN_FLIGHT).optional(),
    })
    .strict(),
  z.object({ ...commandBase, command: z.literal('pause'), jobId: idSchema }).strict(),
  z.object({ ...commandBase, command: z.literal('resume'), jobId: idSchema }).strict(),
  z.object({ ...commandBase, command: z.literal('cancel'), jobId: idSchema }).strict(),
]);
export type BulkCommandEventV1 = z.infer<typeof bulkCommandEventV1>;
