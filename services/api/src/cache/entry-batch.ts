import { Command, type Redis } from 'ioredis';

interface Batch {
  keys: string[];
  waiters: { resolve: (entry: Buffer | null) => void; reject: (error: unknown) => void }[];
}

/**
 * The cache entries asked for in one event-loop turn, read with one `MGET` (the DataLoader
 * pattern). Under load a turn brings many requests for cached products; one command for all of
 * them spares ioredis a command object, a promise and a pipeline slot per read, which were the
 * largest part of what a hit allocated in a sampling heap profile (docs/performance.md).
 *
 * The batch is sent when the turn's I/O callbacks are done (setImmediate), straight to the
 * connection rather than through auto-pipelining, which would hold it one more turn. A failed
 * `MGET` fails every read of its batch.
 */
export class EntryBatch {
  private pending: Batch | undefined;

  constructor(private readonly redis: Redis) {}

  /** The entry stored under `key` (as it is, bytes), or null when there is none. */
  get(key: string): Promise<Buffer | null> {
    let batch = this.pending;
    if (batch === undefined) {
      const started: Batch = { keys: [], waiters: [] };
      this.pending = batch = started;
      setImmediate(() => this.send(started));
    }
    batch.keys.push(key);
    const { waiters } = batch;
    return new Promise((resolve, reject) => {
      waiters.push({ resolve, reject });
    });
  }

  private send(batch: Batch): void {
    this.pending = undefined;
    // replyEncoding null: the entries come back as Buffers, written to the socket as they are.
    const mget = new Command('mget', batch.keys, { replyEncoding: null });
    this.redis.sendCommand(mget);
    (mget.promise as Promise<(Buffer | null)[]>).then(
      (entries) => {
        for (let i = 0; i < batch.waiters.length; i += 1) {
          batch.waiters[i]?.resolve(entries[i] ?? null);
        }
      },
      (error: unknown) => {
        for (const waiter of batch.waiters) waiter.reject(error);
      },
    );
  }
}
