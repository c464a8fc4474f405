import { z } from 'zod';
import { bulkCommandEventV1 } from './bulk.js';
import { IMAGE_FAILURE_CODES } from './errors.js';
import { idSchema, imageSourceSchema, imageVariantSchema } from './products.js';

/** Why a job was requested. Operators producing bulk reprocessing runs use `reprocess`. */
export const JOB_REASONS = ['created', 'updated', 'uploaded', 'reprocess'] as const;

/** `image-jobs` v1: "process this image". Public: anyone may produce it (key = productId). */
export const imageJobEventV1 = z
  .object({
    type: z.literal('image.job'),
    version: z.literal(1),
    /** Unique per request; the image row remembers the newest job so older ones are ignored. */
    jobId: idSchema,
    productId: idSchema,
    imageId: idSchema,
    source: imageSourceSchema,
    reason: z.enum(JOB_REASONS),
    requestedAt: z.iso.datetime(),
  })
  .strict();
export type ImageJobEventV1 = z.infer<typeof imageJobEventV1>;

/** Builds an `image-jobs` v1 event for one image job (the API's outbox, tests, operator tools). */
export function imageJobEvent(
  job: Pick<ImageJobEventV1, 'jobId' | 'productId' | 'imageId' | 'source'>,
  reason: ImageJobEventV1['reason'],
  requestedAt: Date = new Date(),
): ImageJobEventV1 {
  return {
    type: 'image.job',
    version: 1,
    jobId: job.jobId,
    productId: job.productId,
    imageId: job.imageId,
    source: job.source,
    reason,
    requestedAt: requestedAt.toISOString(),
  };
}

export const imageFailureSchema = z.object({
  code: z.enum(IMAGE_FAILURE_CODES),
  message: z.string(),
});
export type ImageFailure = z.infer<typeof imageFailureSchema>;

/** `image-results` v1: "this image is now ready or failed" (key = productId). */
export const imageResultEventV1 = z
  .object({
    type: z.literal('image.result'),
    version: z.literal(1),
    jobId: idSchema,
    productId: idSchema,
    imageId: idSchema,
    status: z.enum(['ready', 'failed']),
    variants: z.array(imageVariantSchema),
    placeholder: z.string().nullable(),
    failure: imageFailureSchema.nullable(),
    processedAt: z.iso.datetime(),
  })
  .strict();
export type ImageResultEventV1 = z.infer<typeof imageResultEventV1>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const SUPPORTED_VERSIONS: Record<string, readonly number[]> = {
  'image.job': [1],
  'image.result': [1],
  'bulk.command': [1],
};

function parseEvent<T>(
  raw: Buffer | string | null | undefined,
  type: 'image.job' | 'image.result' | 'bulk.command',
  schema: z.ZodType<T>,
): ParseResult<T> {
  if (raw === null || raw === undefined || raw.length === 0) {
    return { ok: false, error: 'empty message' };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, error: 'message is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, error: 'message is not a JSON object' };
  }
  const head = json as { type?: unknown; version?: unknown };
  if (head.type !== type) {
    return { ok: false, error: `expected type "${type}", got ${JSON.stringify(head.type)}` };
  }
  const versions = SUPPORTED_VERSIONS[type] ?? [];
  if (typeof head.version !== 'number' || !versions.includes(head.version)) {
    return {
      ok: false,
      error: `unsupported ${type} version ${JSON.stringify(head.version)} (supported: ${versions.join(', ')})`,
    };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error) };
  return { ok: true, value: parsed.data };
}

/** Validates a raw `image-jobs` message; the error is readable enough for a DLQ header. */
export function parseImageJobEvent(raw: Buffer | string | null | undefined) {
  return parseEvent(raw, 'image.job', imageJobEventV1);
}

/** Validates a raw `image-results` message. */
export function parseImageResultEvent(raw: Buffer | string | null | undefined) {
  return parseEvent(raw, 'image.result', imageResultEventV1);
}

/** Validates a raw `image-bulk-commands` message; the error is readable enough for a DLQ header. */
export function parseBulkCommandEvent(raw: Buffer | string | null | undefined) {
  return parseEvent(raw, 'bulk.command', bulkCommandEventV1);
}
