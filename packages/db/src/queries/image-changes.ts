import type { ImageChange } from '@zocket/contracts';
import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import { toProductImage } from '../mappers.js';
import type { Database } from '../schema/database.js';

type Conn = Kysely<Database>;

/** The advisory lock namespace the migration's triggers use ('live'). */
const CHANGE_LOCK_CLASS = 1818850917;

function seq(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`change_seq ${value} is not a safe integer`);
  return n;
}

/**
 * Whether the product has a committed image change after `afterSeq` (tombstones included). Cheap
 * and lock-free: every number taken after a locked read (`readImageChanges`) is larger than what
 * that read returned, so "nothing visible above it" means nothing to read yet.
 */
export function hasImageChangesAfter(db: Conn, productId: string, afterSeq: number) {
  return withDbErrors(async () => {
    const { rows } = await sql<{ found: boolean }>`
      SELECT EXISTS (SELECT 1 FROM product_images WHERE product_id = ${productId} AND change_seq > ${afterSeq})
          OR EXISTS (SELECT 1 FROM product_image_tombstones WHERE product_id = ${productId} AND change_seq > ${afterSeq})
        AS found`.execute(db);
    return rows[0]?.found === true;
  });
}

/**
 * The product's image changes after `afterSeq` in sequence order, at most `limit` (with
 * `afterSeq` undefined: the current state of every image, no removals). Takes the product's
 * change lock exclusively for the read, so it waits for writers holding an earlier number and
 * never returns a number while an earlier one can still commit. `through` is the number to resume
 * after: the last change returned, or for a snapshot the product's newest number (removals
 * included), so older removals are not sent after it.
 */
export function readImageChanges(
  db: Conn,
  productId: string,
  afterSeq: number | undefined,
  limit: number,
): Promise<{ changes: ImageChange[]; through: number }> {
  return withDbErrors(() =>
    db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${CHANGE_LOCK_CLASS}, hashtext(${productId}::text))`.execute(
        trx,
      );
      const after = afterSeq ?? -1;
      const images = await trx
        .selectFrom('product_images')
        .selectAll()
        .where('product_id', '=', productId)
        .where('change_seq', '>', String(after))
        .orderBy('change_seq')
        .limit(limit)
        .execute();
      const changes: ImageChange[] = images.map((row) => ({
        productId,
        imageId: row.id,
        changeSeq: seq(row.change_seq),
        image: toProductImage(row),
      }));
      if (afterSeq === undefined) {
        const { rows } = await sql<{ through: string | null }>`
          SELECT greatest(
            (SELECT max(change_seq) FROM product_images WHERE product_id = ${productId}),
            (SELECT max(change_seq) FROM product_image_tombstones WHERE product_id = ${productId})
          ) AS through`.execute(trx);
        const through = rows[0]?.through;
        return { changes, through: through === null || through === undefined ? 0 : seq(through) };
      }
      const removed = await trx
        .selectFrom('product_image_tombstones')
        .select(['image_id', 'change_seq'])
        .where('product_id', '=', productId)
        .where('change_seq', '>', String(after))
        .orderBy('change_seq')
        .limit(limit)
        .execute();
      for (const row of removed) {
        changes.push({
          productId,
          imageId: row.image_id,
          changeSeq: seq(row.change_seq),
          image: null,
        });
      }
      changes.sort((a, b) => a.changeSeq - b.changeSeq);
      const page = changes.slice(0, limit);
      return { changes: page, through: page.at(-1)?.changeSeq ?? afterSeq };
    }),
  );
}

/**
 * The newest change number of each product (removals included; 0 when it never had an image).
 * One query for every product a process watches: the live poll fallback.
 */
export function latestImageChanges(db: Conn, productIds: readonly string[]) {
  return withDbErrors(async () => {
    if (productIds.length === 0) return new Map<string, number>();
    const { rows } = await sql<{ product_id: string; seq: string | null }>`
      SELECT p.id AS product_id, greatest(
        (SELECT max(change_seq) FROM product_images WHERE product_id = p.id),
        (SELECT max(change_seq) FROM product_image_tombstones WHERE product_id = p.id)
      ) AS seq
      FROM unnest(${[...productIds]}::uuid[]) AS p(id)`.execute(db);
    return new Map(rows.map((r) => [r.product_id, r.seq === null ? 0 : seq(r.seq)]));
  });
}

/** Deletes tombstones older than `olderThanSeconds`; returns how many. */
export function purgeImageTombstones(db: Conn, olderThanSeconds: number): Promise<number> {
  return withDbErrors(async () => {
    const result = await db
      .deleteFrom('product_image_tombstones')
      .where('deleted_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
