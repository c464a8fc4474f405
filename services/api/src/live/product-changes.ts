import { tracked } from '@trpc/server';
import { AppError, type ImageChange, type OnProductChangeInput } from '@zocket/contracts';
import {
  DatabaseUnavailableError,
  findProduct,
  hasImageChangesAfter,
  readImageChanges,
} from '@zocket/db';
import type { ApiContext } from '../api-context.js';

/** Changes read at once; a longer backlog is read in several rounds. */
const PAGE = 500;
/** A subscription reads again at least this often even if no doorbell rang (a safety net). */
const SAFETY_READ_MS = 60_000;
/** Wait after a failed read before the next. */
const RETRY_MS = 1_000;

export interface Subscriber {
  /** Limit key: `user:<subject>` or `addr:<client address>`. */
  userKey: string;
  connectionKey: string;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * `products.onChange`: the current state of every image (without `lastEventId`), then every change
 * after it, each tracked by its change sequence number. PostgreSQL is the source of truth; the
 * doorbell (Redis, or the hub's poll) only says when to read again.
 */
export async function* productChanges(
  ctx: ApiContext,
  subscriber: Subscriber,
  input: OnProductChangeInput,
  requestSignal: AbortSignal | undefined,
) {
  const { live, db } = ctx;
  if (live.shutdown.aborted) {
    // Retryable: the client reconnects, to another replica, by its last event id.
    throw new AppError('UNAVAILABLE', 'this server is shutting down');
  }
  // One listener instead of AbortSignal.any: thousands of idle subscriptions each keep one.
  const stop = new AbortController();
  const abort = () => stop.abort();
  live.shutdown.addEventListener('abort', abort, { once: true });
  requestSignal?.addEventListener('abort', abort, { once: true });
  const signal = stop.signal;
  const release = live.limits.acquire(subscriber.userKey, subscriber.connectionKey);
  ctx.metrics.liveSubscriptions.inc();
  const doorbell = live.hub.listen(input.productId);
  /** Runs a read, again after a pause while PostgreSQL is unavailable (a reconnect storm, say). */
  const read = async <T>(run: () => Promise<T>): Promise<T> => {
    for (;;) {
      try {
        return await run();
      } catch (error) {
        if (!(error instanceof DatabaseUnavailableError) || signal.aborted) throw error;
        ctx.logger.warn({ err: error }, 'live read failed; trying again');
        await sleep(RETRY_MS, signal);
      }
    }
  };
  try {
    if ((await read(() => findProduct(db, input.productId))) === undefined) {
      throw new AppError('NOT_FOUND', `product ${input.productId} not found`);
    }
    let last: number;
    if (input.lastEventId === undefined || input.lastEventId === null) {
      const snapshot = await read(() => readImageChanges(db, input.productId, undefined, PAGE));
      for (const change of snapshot.changes) yield tracked(String(change.changeSeq), change);
      last = snapshot.through;
    } else {
      last = Number(input.lastEventId);
    }
    while (!signal.aborted) {
      const after = last;
      const { changes } = await read(async () =>
        (await hasImageChangesAfter(db, input.productId, after))
          ? readImageChanges(db, input.productId, after, PAGE)
          : { changes: [] as ImageChange[] },
      );
      for (const change of changes) {
        last = change.changeSeq;
        yield tracked(String(change.changeSeq), change);
      }
      if (changes.length === PAGE) continue;
      if (
        changes.some((c) => c.image === null) &&
        (await read(() => findProduct(db, input.productId))) === undefined
      ) {
        return; // the product was deleted: nothing more will happen to it
      }
      await doorbell.wait(SAFETY_READ_MS, signal);
    }
  } finally {
    live.shutdown.removeEventListener('abort', abort);
    requestSignal?.removeEventListener('abort', abort);
    doorbell.close();
    ctx.metrics.liveSubscriptions.dec();
    release();
  }
}
