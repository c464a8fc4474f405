import type {
  ImageSource,
  ListProductsInput,
  Money,
  Product,
  ProductPage,
} from '@zocket/contracts';
import { type Kysely, sql, type Transaction } from 'kysely';
import { withDbErrors } from '../errors.js';
import { toProduct } from '../mappers.js';
import type { Database } from '../schema/database.js';
import type { ProductImageRow } from '../schema/product-images.table.js';
import { type Cursor, encodeCursor } from './cursor.js';
import { type ImageJobRef, insertImages, toJobRef } from './product-images.js';

type Conn = Kysely<Database>;

export interface NewProduct {
  ownerId: string;
  name: string;
  description: string;
  price: Money;
  images: readonly ImageSource[];
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
  trx: Transaction<Database>,
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
 * Applies a patch and bumps the version, if the product belongs to the owner and is still at
 * `expectedVersion`. Call with the product locked at that version (`lockOwnedProduct`), so the
 * guard cannot miss; it stays as a second line of defence. Returns whether a row changed.
 */
export function updateProductFields(
  trx: Conn,
  args: { id: string; ownerId: string; expectedVersion: number; patch: ProductPatch },
): Promise<boolean> {
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
    return result.numUpdatedRows > 0n;
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
