import type { Kysely } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { Database } from '../schema/database.js';

/** Returns the id of the user with this token subject, creating the row on first sight. */
export function ensureUser(db: Kysely<Database>, subject: string, name?: string): Promise<string> {
  return withDbErrors(async () => {
    const row = await db
      .insertInto('users')
      .values({ subject, name: name ?? null })
      // A no-op update so RETURNING yields the existing row too.
      .onConflict((oc) =>
        oc.column('subject').doUpdateSet((eb) => ({ subject: eb.ref('excluded.subject') })),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}
