import { randomUUID } from 'node:crypto';
import type {
  ImageSource,
  ListProductsInput,
  Money,
  Product,
  ProductPage,
} from '@zocket/contracts';
import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import { toImageSource, toProduct } from '../mappers.js';
import type { Database } from '../schema/database.js';
import type { ProductImageRow } from '../schema/product-images.table.js';

type Conn = Kysely<Database>;

export interface NewProduct {
  ownerId: string;
  name: string;
  description: string;
  price: Money;
  images: readonly ImageSource[];
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

function toJobRef(row: ProductImageRow): ImageJobRef {
  return {
    productId: row.product_id,
    imageId: row.id,
    jobId: row.job_id,
    source: toImageSource(row),
  };
}

async function insertImages(
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

/** Inserts a product and its pending images; returns the product and the jobs to enqueue. */
export function insertProduct(
  trx: Conn,
  input: NewProduct,
): Promise<{ product: Product; jobs: ImageJobRef[] }> {
  return withDbErrors(async () => {
    const row = await trx
      .insertInto('products')
      .values({
        owner_id: input.ownerId,
        name: input.name,
        description: input.description,
        price_minor: input.price.amountMinor,
        currency: input.price.currency,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    // A new product has no other images: the inserted rows are all of them.
    const images = await insertImages(trx, row.id, input.images, 0);
    return { product: toProduct(row, images), jobs: images.map(toJobRef) };
  });
}

/** The product with its images, or undefined. */
export function findProduct(db: Conn, id: string): Promise<Product | undefined> {
  return withDbErrors(async () => {
    const row = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const images = await db
      .selectFrom('product_images')
      .selectAll()
      .where('product_id', '=', id)
      .execute();
    return toProduct(row, images);
  });
}

/** The owner of a product, for authorisation checks (locks the row inside a transaction). */
export function lockOwnedProduct(
  trx: Conn,
  id: string,
  ownerId: string,
): Promise<{ id: string; version: number } | undefined> {
  return withDbErrors(() =>
    trx
      .selectFrom('products')
      .select(['id', 'version'])
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .forUpdate()
      .executeTakeFirst(),
  );
}

interface Cursor {
  ts: string;
  id: string;
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.ts}|${cursor.id}`).toString('base64url');
}

/** Decodes a list cursor; undefined when it was not produced by `listProducts`. */
export function decodeCursor(value: string): Cursor | undefined {
  const text = Buffer.from(value, 'base64url').toString('utf8');
  const match =
    /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3})\d{3}Z\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(
      text,
    );
  if (match === null) return undefined;
  // The shape alone lets month 13 or hour 25 through to PostgreSQL, which would fail the query.
  const ms = match[1] as string;
  const parsed = new Date(`${ms}Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString() !== `${ms}Z`) return undefined;
  // Year 0000 parses in JavaScript (1 BC) but PostgreSQL has no year 0 (22008 out of range).
  if (parsed.getUTCFullYear() < 1) return undefined;
  return { ts: text.slice(0, text.indexOf('|')), id: (match[2] as string).toLowerCase() };
}

function escapeLike(term: string): string {
  return term.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Products newest first, filtered by owner, price range and a case-insensitive name substring
 * (served by the trigram index). Keyset pagination on (created_at, id) at microsecond precision.
 */
export function listProducts(
  db: Conn,
  input: ListProductsInput,
  cursor: Cursor | undefined,
): Promise<ProductPage> {
  return withDbErrors(async () => {
    let query = db
      .selectFrom('products')
      .selectAll()
      .select(
        sql<string>`to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as(
          'cursor_ts',
        ),
      );
    if (input.userId !== undefined) query = query.where('owner_id', '=', input.userId);
    if (input.minPrice !== undefined)
      query = query.where('price_minor', '>=', String(input.minPrice));
    if (input.maxPrice !== undefined)
      query = query.where('price_minor', '<=', String(input.maxPrice));
    if (input.currency !== undefined) query = query.where('currency', '=', input.currency);
    if (input.name !== undefined) {
      query = query.where('name', 'ilike', `%${escapeLike(input.name)}%`);
    }
    if (cursor !== undefined) {
      query = query.where(
        sql<boolean>`(created_at, id) < (${cursor.ts}::timestamptz, ${cursor.id}::uuid)`,
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(input.limit + 1)
      .execute();
    const page = rows.slice(0, input.limit);
    const images =
      page.length === 0
        ? []
        : await db
            .selectFrom('product_images')
            .selectAll()
            .where(
              'product_id',
              'in',
              page.map((r) => r.id),
            )
            .execute();
    const byProduct = new Map<string, ProductImageRow[]>();
    for (const image of images) {
      const list = byProduct.get(image.product_id);
      if (list === undefined) byProduct.set(image.product_id, [image]);
      else list.push(image);
    }
    const last = page.at(-1);
    return {
      items: page.map((r) => toProduct(r, byProduct.get(r.id) ?? [])),
      nextCursor:
        rows.length > input.limit && last !== undefined
          ? encodeCursor({ ts: last.cursor_ts, id: last.id })
          : null,
    };
  });
}

export interface ProductPatch {
  name?: string;
  description?: string;
  price?: Money;
}

/**
 * Applies a patch if the product belongs to the owner and is still at `expectedVersion`.
 * Returns 'not_found' for a missing or foreign product, 'conflict' for a stale version.
 */
export function updateProductFields(
  trx: Conn,
  args: { id: string; ownerId: string; expectedVersion: number; patch: ProductPatch },
): Promise<'updated' | 'not_found' | 'conflict'> {
  return withDbErrors(async () => {
    const { patch } = args;
    const result = await trx
      .updateTable('products')
      .set((eb) => ({
        version: eb('version', '+', 1),
        updated_at: new Date(),
        ...(patch.name === undefined ? {} : { name: patch.name }),
        ...(patch.description === undefined ? {} : { description: patch.description }),
        ...(patch.price === undefined
          ? {}
          : { price_minor: patch.price.amountMinor, currency: patch.price.currency }),
      }))
      .where('id', '=', args.id)
      .where('owner_id', '=', args.ownerId)
      .where('version', '=', args.expectedVersion)
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return 'updated';
    const exists = await trx
      .selectFrom('products')
      .select('id')
      .where('id', '=', args.id)
      .where('owner_id', '=', args.ownerId)
      .executeTakeFirst();
    return exists === undefined ? 'not_found' : 'conflict';
  });
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

/** Bumps the version and updated_at of a product after a change to its images. */
export function touchProduct(trx: Conn, productId: string): Promise<void> {
  return withDbErrors(async () => {
    await trx
      .updateTable('products')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: new Date() }))
      .where('id', '=', productId)
      .execute();
  });
}

/** Hard-deletes a product of this owner and (by cascade) its images. */
export function deleteProduct(trx: Conn, id: string, ownerId: string): Promise<boolean> {
  return withDbErrors(async () => {
    const result = await trx
      .deleteFrom('products')
      .where('id', '=', id)
      .where('owner_id', '=', ownerId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  });
}
