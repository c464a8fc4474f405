import type { ColumnType, Generated, Selectable } from 'kysely';

export interface UsersTable {
  id: Generated<string>;
  /** The `sub` claim of the auth token that first created this user. */
  subject: string;
  name: string | null;
  created_at: ColumnType<Date, never, never>;
}
export type UserRow = Selectable<UsersTable>;
