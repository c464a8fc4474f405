import type { ColumnType, Generated, JSONColumnType, Selectable } from 'kysely';

export interface OutboxTable {
  id: ColumnType<string, never, never>;
  topic: string;
  /**
   * Kafka message key (the product id for image jobs, so a product's jobs share a partition). With
   * several relays, a product's later job may be published before an earlier one; consumers rely on
   * job ids, not on order.
   */
  message_key: string;
  payload: JSONColumnType<Record<string, unknown>, string, never>;
  headers: JSONColumnType<Record<string, string>, string, never>;
  created_at: ColumnType<Date, never, never>;
  published_at: ColumnType<Date | null, never, Date>;
  attempts: Generated<number>;
  last_error: string | null;
}
export type OutboxRow = Selectable<OutboxTable>;
