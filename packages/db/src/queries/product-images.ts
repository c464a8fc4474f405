import { randomUUID } from 'node:crypto';
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
import type { ProductImageRow } from '../schema/product-images.table.js';

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
 * for any other reason, already finished. `countAttempt: false` starts it without counting: a
 * redelivery of a start that an outage of the processor's own services interrupted.
 */
export function startImageJob(
  db: Conn,
  key: JobKey,
  reason?: ImageJobEventV1['reason'],
  options: { countAttempt?: boolean } = {},
): Promise<string | undefined> {
  const counted = options.countAttempt === false ? 0 : 1;
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
        attempts: eb('attempts', '+', counted),
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

/** An image row that needs a job: what the caller writes to the outbox. */
export interface ImageJobRef {
  productId: string;
  imageId: string;
  jobId: string;
  source: ImageSource;
}

function sourceColumns(source: ImageSource) {
  return source.kind === 'url'
    ? { source_kind: 'url' as const, source_ref: source.url }
    : { source_kind: 'upload' as const, source_ref: source.key };
}

export function toJobRef(row: ProductImageRow): ImageJobRef {
  return {
    productId: row.product_id,
    imageId: row.id,
    jobId: row.job_id,
    source: toImageSource(row),
  };
}

/** Inserts image rows from `firstPosition` on, each with a new job id. */
export async function insertImages(
  trx: Conn,
  productId: string,
  sources: readonly ImageSource[],
  firstPosition: number,
): Promise<ProductImageRow[]> {
  if (sources.length === 0) return [];
  return trx
    .insertInto('product_images')
    .values(
      sources.map((source, i) => ({
        product_id: productId,
        position: firstPosition + i,
        job_id: randomUUID(),
        ...sourceColumns(source),
      })),
    )
    .returningAll()
    .execute();
}

/** Replaces every image of a product; the old rows go, so their late jobs find nothing to update. */
export function replaceProductImages(
  trx: Conn,
  productId: string,
  sources: readonly ImageSource[],
): Promise<ImageJobRef[]> {
  return withDbErrors(async () => {
    await trx.deleteFrom('product_images').where('product_id', '=', productId).execute();
    return (await insertImages(trx, productId, sources, 0)).map(toJobRef);
  });
}

/** Appends images after the last position (uploads). */
export function appendProductImages(
  trx: Conn,
  productId: string,
  sources: readonly ImageSource[],
): Promise<ImageJobRef[]> {
  return withDbErrors(async () => {
    const { max } = await trx
      .selectFrom('product_images')
      .select((eb) => eb.fn.max<number | null>('position').as('max'))
      .where('product_id', '=', productId)
      .executeTakeFirstOrThrow();
    const rows = await insertImages(trx, productId, sources, max === null ? 0 : max + 1);
    return rows.map(toJobRef);
  });
}

/** How many images a product has (inside a transaction that locked the product, an exact count). */
export function countProductImages(db: Conn, productId: string): Promise<number> {
  return withDbErrors(async () => {
    const { count } = await db
      .selectFrom('product_images')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('product_id', '=', productId)
      .executeTakeFirstOrThrow();
    return Number(count);
  });
}

/** Gives every image of a product a new job id and sets it pending again. */
export function requeueProductImages(trx: Conn, productId: string): Promise<ImageJobRef[]> {
  return withDbErrors(async () => {
    const rows = await trx
      .updateTable('product_images')
      .set({ job_id: sql`gen_random_uuid()`, status: 'pending', updated_at: new Date() })
      .where('product_id', '=', productId)
      .returningAll()
      .execute();
    return rows.map(toJobRef);
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
