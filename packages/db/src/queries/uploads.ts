import { type Kysely, sql } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { Database } from '../schema/database.js';
import type { UploadRow } from '../schema/uploads.table.js';

type Conn = Kysely<Database>;

export interface NewUpload {
  id: string;
  ownerId: string;
  productId: string;
  objectKey: string;
  declaredType: string;
  declaredBytes: number;
  declaredSha256: string | null;
  expiresAt: Date;
}

export function insertUpload(db: Conn, upload: NewUpload): Promise<void> {
  return withDbErrors(async () => {
    await db
      .insertInto('uploads')
      .values({
        id: upload.id,
        owner_id: upload.ownerId,
        product_id: upload.productId,
        object_key: upload.objectKey,
        declared_type: upload.declaredType,
        declared_bytes: upload.declaredBytes,
        declared_sha256: upload.declaredSha256,
        expires_at: upload.expiresAt,
      })
      .execute();
  });
}

/** Uploads of this owner still waiting for completion and not yet expired. */
export function countPendingUploads(db: Conn, ownerId: string): Promise<number> {
  return withDbErrors(async () => {
    const { count } = await db
      .selectFrom('uploads')
      .select((eb) => eb.fn.countAll<string>().as('count'))
      .where('owner_id', '=', ownerId)
      .where('status', '=', 'pending')
      .where('expires_at', '>', sql<Date>`now()`)
      .executeTakeFirstOrThrow();
    return Number(count);
  });
}

/** The upload if it belongs to `ownerId`; `forUpdate` locks it until the transaction ends. */
export function findOwnedUpload(
  db: Conn,
  id: string,
  ownerId: string,
  options: { forUpdate?: boolean } = {},
): Promise<UploadRow | undefined> {
  return withDbErrors(() => {
    const query = db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', id)
      .where('owner_id', '=', ownerId);
    return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  });
}

/** Marks a pending upload completed with the image it became. */
export function markUploadCompleted(trx: Conn, id: string, imageId: string): Promise<void> {
  return withDbErrors(async () => {
    await trx
      .updateTable('uploads')
      .set({ status: 'completed', image_id: imageId, completed_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .execute();
  });
}

/** Marks a pending upload rejected (its object was not an acceptable image). */
export function markUploadRejected(db: Conn, id: string): Promise<boolean> {
  return withDbErrors(async () => {
    const result = await db
      .updateTable('uploads')
      .set({ status: 'rejected', completed_at: sql<Date>`now()` })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  });
}

/**
 * Expires pending uploads whose URL expired: `removeObjects` runs with the rows locked (a
 * concurrent completion waits, then finds them expired), and the rows are marked only if it
 * succeeds. Returns the keys removed.
 */
export function expireUploads(
  db: Conn,
  limit: number,
  removeObjects: (keys: string[]) => Promise<void>,
): Promise<string[]> {
  return withDbErrors(() =>
    db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('uploads')
        .select(['id', 'object_key'])
        .where('status', '=', 'pending')
        .where('expires_at', '<', sql<Date>`now()`)
        .orderBy('expires_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return [];
      const keys = rows.map((r) => r.object_key);
      await removeObjects(keys);
      await trx
        .updateTable('uploads')
        .set({ status: 'expired' })
        .where(
          'id',
          'in',
          rows.map((r) => r.id),
        )
        .execute();
      return keys;
    }),
  );
}
