import type {
  BulkFilter,
  ImageFailureCode,
  ImageJobEventV1,
  ImageSource,
  ImageStatus,
  ImageVariant,
  ProductImage,
} from '@zocket/contracts';
import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import { toImageSource, toProductImage } from '../mappers.js';
import type { Database } from '../schema/database.js';

type Conn = Kysely<Database>;

/** Identifies one job for one image. Every write below is guarded by both ids. */
export interface JobKey {
  imageId: string;
  jobId: string;
}

/**
 * Marks the image `processing` and counts the attempt, only if this job is still the newest one
 * for the image. A `ready` image is started again only for reason `reprocess` (a bulk re-render
 * with its current job id); it stays `ready`, serving its current variants, until the new ones are
 * recorded. Returns the product id, or undefined when the job is stale (replaced or deleted) or,
 * for any other reason, already finished.
 */
export function startImageJob(
  db: Conn,
  key: JobKey,
  reason?: ImageJobEventV1['reason'],
): Promise<string | undefined> {
  const startable: ImageStatus[] =
    reason === 'reprocess'
      ? ['pending', 'processing', 'failed', 'ready']
      : ['pending', 'processing', 'failed'];
  return withDbErrors(async () => {
    const row = await db
      .updateTable('product_images')
      .set((eb) => ({
        status: eb
          .case()
          .when('status', '=', 'ready')
          .then('ready' as const)
          .else('processing' as const)
          .end(),
        attempts: eb('attempts', '+', 1),
        updated_at: new Date(),
      }))
      .where('id', '=', key.imageId)
      .where('job_id', '=', key.jobId)
      .where('status', 'in', startable)
      .returning('product_id')
      .executeTakeFirst();
    return row?.product_id;
  });
}

export interface ImageResult {
  variants: ImageVariant[];
  placeholder: string;
  width: number;
  height: number;
  bytes: number;
  contentHash: string;
  /** The profile version the variants were rendered with. */
  profileVersion: string;
}

/** Records a ready image if the job is still current; false means the job was stale. */
export function completeImageJob(db: Conn, key: JobKey, result: ImageResult): Promise<boolean> {
  return withDbErrors(async () => {
    const updated = await db
      .updateTable('product_images')
      .set({
        status: 'ready',
        variants: JSON.stringify(result.variants),
        placeholder: result.placeholder,
        source_width: result.width,
        source_height: result.height,
        source_bytes: result.bytes,
        content_hash: result.contentHash,
        profile_version: result.profileVersion,
        last_error: null,
        failure_code: null,
        processed_at: sql<Date>`now()`,
        updated_at: new Date(),
      })
      .where('id', '=', key.imageId)
      .where('job_id', '=', key.jobId)
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  });
}

/**
 * Records a failed image with a readable reason if the job is still current. Never touches a
 * `ready` row: a job whose variants are recorded but whose cache invalidation or result event kept
 * failing must not lose them; false then, as for a stale job.
 */
export function failImageJob(
  db: Conn,
  key: JobKey,
  failure: { code: ImageFailureCode; message: string },
): Promise<boolean> {
  return withDbErrors(async () => {
    const updated = await db
      .updateTable('product_images')
      .set({
        status: 'failed',
        variants: '[]',
        failure_code: failure.code,
        last_error: failure.message,
        processed_at: sql<Date>`now()`,
        updated_at: new Date(),
      })
      .where('id', '=', key.imageId)
      .where('job_id', '=', key.jobId)
      .where('status', '!=', 'ready')
      .executeTakeFirst();
    return updated.numUpdatedRows > 0n;
  });
}

/** The image row if `jobId` is still its current job, with its product id. */
export function findImageByJob(
  db: Conn,
  key: JobKey,
): Promise<{ productId: string; image: ProductImage } | undefined> {
  return withDbErrors(async () => {
    const row = await db
      .selectFrom('product_images')
      .selectAll()
      .where('id', '=', key.imageId)
      .where('job_id', '=', key.jobId)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : { productId: row.product_id, image: toProductImage(row) };
  });
}

/** An image a bulk job will reprocess, with its current job id (kept, so `ready` stays served). */
export interface BulkTarget {
  imageId: string;
  productId: string;
  jobId: string;
  source: ImageSource;
}

// biome-ignore lint/suspicious/noExplicitAny: a where-builder over product_images, typed by Kysely
function applyBulkFilter<Q extends { where: (...args: any[]) => Q }>(
  query: Q,
  filter: BulkFilter,
  snapshotAt: Date | undefined,
): Q {
  let q = query;
  if (snapshotAt !== undefined) q = q.where('product_images.created_at', '<=', snapshotAt);
  if (filter.profileNot !== undefined) {
    q = q.where(sql<boolean>`product_images.profile_version IS DISTINCT FROM ${filter.profileNot}`);
  }
  if (filter.statuses !== undefined) q = q.where('product_images.status', 'in', filter.statuses);
  if (filter.productIds !== undefined) {
    q = q.where('product_images.product_id', 'in', filter.productIds);
  }
  if (filter.ownerId !== undefined) {
    q = q.where(
      sql<boolean>`product_images.product_id IN (SELECT id FROM products WHERE owner_id = ${filter.ownerId})`,
    );
  }
  return q;
}

/** How many images a bulk filter selects now. */
export function countBulkTargets(db: Conn, filter: BulkFilter): Promise<number> {
  return withDbErrors(async () => {
    const row = await applyBulkFilter(
      db.selectFrom('product_images').select((eb) => eb.fn.countAll<string>().as('n')),
      filter,
      undefined,
    ).executeTakeFirstOrThrow();
    return Number(row.n);
  });
}

/** The next page of a bulk job's targets after `after` (by id), created no later than the snapshot. */
export function pageBulkTargets(
  db: Conn,
  filter: BulkFilter,
  page: { after: string | null; snapshotAt: Date; limit: number },
): Promise<BulkTarget[]> {
  return withDbErrors(async () => {
    let query = db
      .selectFrom('product_images')
      .select(['id', 'product_id', 'job_id', 'source_kind', 'source_ref'])
      .orderBy('id')
      .limit(page.limit);
    if (page.after !== null) query = query.where('id', '>', page.after);
    const rows = await applyBulkFilter(query, filter, page.snapshotAt).execute();
    return rows.map((r) => ({
      imageId: r.id,
      productId: r.product_id,
      jobId: r.job_id,
      source: toImageSource(r),
    }));
  });
}

/** The content hash of the source an image was last rendered from (to reuse its stored original). */
export function findImageContentHash(db: Conn, imageId: string): Promise<string | null> {
  return withDbErrors(async () => {
    const row = await db
      .selectFrom('product_images')
      .select('content_hash')
      .where('id', '=', imageId)
      .executeTakeFirst();
    return row?.content_hash ?? null;
  });
}
