import { type Kysely, sql, type Transaction } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { Database } from '../schema/database.js';
import type { OutboxRow } from '../schema/outbox.table.js';

type Conn = Kysely<Database>;

/** The LISTEN/NOTIFY channel that announces new outbox rows. */
export const OUTBOX_CHANNEL = 'zocket_outbox';

export interface OutboxMessage {
  topic: string;
  key: string;
  payload: unknown;
  headers?: Record<string, string>;
}

/** Writes messages to the outbox; call inside the transaction of the change that caused them. */
export function insertOutboxMessages(trx: Conn, messages: readonly OutboxMessage[]): Promise<void> {
  return withDbErrors(async () => {
    if (messages.length === 0) return;
    await trx
      .insertInto('outbox')
      .values(
        messages.map((m) => ({
          topic: m.topic,
          message_key: m.key,
          payload: JSON.stringify(m.payload),
          headers: JSON.stringify(m.headers ?? {}),
        })),
      )
      .execute();
    // Delivered at commit, so a relay wakes only for rows it can see.
    await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
  });
}

/**
 * Locks up to `limit` unpublished rows, oldest first. SKIP LOCKED lets several relays share the
 * table: each row is claimed by one transaction at a time, and an uncommitted claim is released.
 */
export function claimOutboxBatch(trx: Transaction<Database>, limit: number): Promise<OutboxRow[]> {
  return withDbErrors(() =>
    trx
      .selectFrom('outbox')
      .selectAll()
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute(),
  );
}

export function markOutboxPublished(trx: Conn, ids: readonly string[]): Promise<void> {
  return withDbErrors(async () => {
    if (ids.length === 0) return;
    await trx
      .updateTable('outbox')
      .set({ published_at: new Date() })
      .where('id', 'in', ids)
      .execute();
  });
}

/** Counts a failed publish attempt; the rows stay unpublished and are retried. */
export function recordOutboxFailure(
  trx: Conn,
  ids: readonly string[],
  error: string,
): Promise<void> {
  return withDbErrors(async () => {
    if (ids.length === 0) return;
    await trx
      .updateTable('outbox')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: error.slice(0, 1000) }))
      .where('id', 'in', ids)
      .execute();
  });
}

/** Unpublished rows and the age of the oldest, for metrics. */
export function outboxBacklog(db: Conn): Promise<{ count: number; oldestAgeSeconds: number }> {
  return withDbErrors(async () => {
    const row = await db
      .selectFrom('outbox')
      .select([
        sql<string>`count(*)`.as('count'),
        sql<string | null>`extract(epoch from now() - min(created_at))`.as('age'),
      ])
      .where('published_at', 'is', null)
      .executeTakeFirstOrThrow();
    return { count: Number(row.count), oldestAgeSeconds: row.age === null ? 0 : Number(row.age) };
  });
}

/** Deletes published rows older than the given age; returns how many went. */
export function purgePublishedOutbox(db: Conn, olderThanSeconds: number): Promise<number> {
  return withDbErrors(async () => {
    const result = await db
      .deleteFrom('outbox')
      .where('published_at', '<', sql<Date>`now() - make_interval(secs => ${olderThanSeconds})`)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}
