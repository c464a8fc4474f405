import type { Kysely } from 'kysely';
import { withDbErrors } from '../errors.js';
import type { Database } from '../schema/database.js';

type Conn = Kysely<Database>;

/**
 * Remembers a command's idempotency key; call in the transaction that applies the command. False
 * when the key was seen before (the command must then not be applied again).
 */
export function recordBulkCommand(
  trx: Conn,
  command: { idempotencyKey: string; command: string; bulkJobId: string | null },
): Promise<boolean> {
  return withDbErrors(async () => {
    const row = await trx
      .insertInto('bulk_commands')
      .values({
        idempotency_key: command.idempotencyKey,
        command: command.command,
        bulk_job_id: command.bulkJobId,
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('idempotency_key')
      .executeTakeFirst();
    return row !== undefined;
  });
}

export function setBulkCommandJob(trx: Conn, idempotencyKey: string, bulkJobId: string) {
  return withDbErrors(async () => {
    await trx
      .updateTable('bulk_commands')
      .set({ bulk_job_id: bulkJobId })
      .where('idempotency_key', '=', idempotencyKey)
      .execute();
  });
}
