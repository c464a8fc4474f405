import type { ColumnType, Generated, Selectable } from 'kysely';

export interface ProductsTable {
  id: Generated<string>;
  owner_id: string;
  name: string;
  description: string;
  /** int8: node-postgres returns it as a string; mapped to a number on purpose at the edge. */
  price_minor: ColumnType<string, number, number>;
  currency: string;
  version: ColumnType<number, never, number>;
  created_at: ColumnType<Date, never, never>;
  updated_at: ColumnType<Date, never, Date>;
}
export type ProductRow = Selectable<ProductsTable>;
