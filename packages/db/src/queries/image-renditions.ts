import type { Kysely } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { Database } from '../schema/database.js';
import type { RenditionVariant } from '../schema/image-renditions.table.js';

type Conn = Kysely<Database>;

export interface Rendition {
  contentHash: string;
  profileVersion: string;
  variants: RenditionVariant[];
  placeholder: string;
  width: number;
  height: number;
  bytes: number;
}

/** The variants already rendered from these bytes with this profile, if any. */
export function findRendition(
  db: Conn,
  contentHash: string,
  profileVersion: string,
): Promise<Rendition | undefined> {
  return withDbErrors(async () => {
    const row = await db
      .selectFrom('image_renditions')
      .selectAll()
      .where('content_hash', '=', contentHash)
      .where('profile_version', '=', profileVersion)
      .executeTakeFirst();
    return row === undefined
      ? undefined
      : {
          contentHash: row.content_hash,
          profileVersion: row.profile_version,
          variants: row.variants,
          placeholder: row.placeholder,
          width: row.source_width,
          height: row.source_height,
          bytes: Number(row.source_bytes),
        };
  });
}

/**
 * Records a rendition; call only after every variant object was stored. A concurrent render of
 * the same bytes may have recorded first: the stored row wins and is returned either way.
 */
export function recordRendition(db: Conn, rendition: Rendition): Promise<Rendition> {
  return withDbErrors(async () => {
    await db
      .insertInto('image_renditions')
      .values({
        content_hash: rendition.contentHash,
        profile_version: rendition.profileVersion,
        variants: JSON.stringify(rendition.variants),
        placeholder: rendition.placeholder,
        source_width: rendition.width,
        source_height: rendition.height,
        source_bytes: rendition.bytes,
      })
      .onConflict((oc) => oc.columns(['content_hash', 'profile_version']).doNothing())
      .execute();
    return (await findRendition(db, rendition.contentHash, rendition.profileVersion)) ?? rendition;
  });
}

/** How many renditions exist for a profile (tests, diagnostics). */
export function countRenditions(db: Conn, profileVersion: string): Promise<number> {
  return withDbErrors(async () => {
    const row = await db
      .selectFrom('image_renditions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('profile_version', '=', profileVersion)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  });
}
