import { HEADERS, imageJobEvent, type Topics } from '@zocket/contracts';
import {
  advanceBulkJob,
  type BulkTarget,
  claimDispatchableBulkJob,
  type Db,
  expireBulkItems,
  inFlightOf,
  insertBulkItems,
  insertOutboxMessages,
  type OutboxMessage,
  pageBulkTargets,
  transitionBulkJob,
} from '@zocket/db';
import type { Logger } from '@zocket/service-kit';
import { inSpan, traceHeaders } from '@zocket/telemetry';
import { WakeableSleep } from '../background/wakeable-sleep.js';
import type { ApiConfig } from '../config.js';
import type { ApiMetrics } from '../observability/metrics.js';
import type { LiveLagProbe } from './live-lag.js';

export type TickResult =
  | 'idle'
  | 'dispatched'
  | 'held-window'
  | 'held-live-lag'
  | 'finished'
  | 'waiting';

/**
 * The outbox message of one bulk item: the image's current job id, on the bulk lane, carrying the
 * dispatching tick's trace context.
 */
export function bulkItemMessage(topics: Topics, bulkJobId: string, t: BulkTarget): OutboxMessage {
  return {
    topic: topics.imageJobsBulk,
    key: t.productId,
    payload: imageJobEvent(t, 'reprocess'),
    headers: {
      ...traceHeaders(),
      [HEADERS.correlationId]: bulkJobId,
      [HEADERS.eventType]: 'image.job.v1',
      [HEADERS.bulkJobId]: bulkJobId,
    },
  };
}

/**
 * Feeds the active bulk job to the bulk lane through the outbox. Each tick locks the job row (FOR
 * UPDATE SKIP LOCKED, so API replicas take turns) and, in that one transaction, writes a page of
 * items, their outbox rows and the moved cursor: a crash anywhere rolls the whole page back, and
 * an item already present is never written twice. At most `max_in_flight` items are unfinished at
 * once, and nothing is dispatched while the live group's lag is over BULK_YIELD_LIVE_LAG (or
 * unknown), so live uploads never queue behind a backfill. It also ends jobs: completed once
 * everything was dispatched and finished, cancelled once a cancelling job has nothing in flight.
 */
export class BulkDispatcher {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly pause = new WakeableSleep();

  constructor(
    private readonly deps: {
      db: Db;
      topics: Topics;
      lag: LiveLagProbe;
      logger: Logger;
      metrics: ApiMetrics;
      config: ApiConfig['bulk'];
    },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async tick(): Promise<TickResult> {
    const { db, topics, lag, metrics, config, logger } = this.deps;
    return db.transaction().execute(async (trx) => {
      const state = await claimDispatchableBulkJob(trx);
      if (state === undefined) {
        metrics.bulkInFlight.set(0);
        return 'idle';
      }
      const { job } = state;
      let inFlight = inFlightOf(job);
      if (inFlight > 0) {
        const expired = await expireBulkItems(trx, job.id, config.itemTimeoutSeconds);
        if (expired > 0) {
          metrics.bulkItemsExpired.inc(expired);
          logger.warn({ bulkJobId: job.id, expired }, 'bulk items timed out; counted as failed');
          inFlight -= expired;
        }
      }
      metrics.bulkInFlight.set(inFlight);
      if (job.status === 'cancelling' || state.enumerationDone) {
        if (inFlight > 0) return 'waiting';
        const to = job.status === 'cancelling' ? 'cancelled' : 'completed';
        await transitionBulkJob(trx, job.id, [job.status], to);
        logger.info({ bulkJobId: job.id, status: to, counts: job.counts }, 'bulk job finished');
        return 'finished';
      }
      const room = Math.min(job.maxInFlight - inFlight, config.pageSize);
      if (room <= 0) {
        metrics.bulkHolds.inc({ reason: 'window' });
        return 'held-window';
      }
      const liveLag = await lag.read();
      if (liveLag !== undefined) metrics.bulkLiveLag.set(liveLag);
      if (liveLag === undefined || liveLag > config.yieldLiveLag) {
        metrics.bulkHolds.inc({ reason: liveLag === undefined ? 'lag_unknown' : 'live_lag' });
        return 'held-live-lag';
      }
      // A span only for a tick that dispatches: idle and held ticks run every BULK_TICK_MS.
      return inSpan(
        'bulk dispatch',
        { attributes: { 'zocket.bulk_job.id': job.id } },
        async (span): Promise<TickResult> => {
          const targets = await pageBulkTargets(trx, job.filter, {
            after: state.cursor,
            snapshotAt: state.snapshotAt,
            limit: room,
          });
          const inserted = await insertBulkItems(trx, job.id, targets);
          const fresh = targets.filter((t) => inserted.has(t.imageId));
          await insertOutboxMessages(
            trx,
            fresh.map((t) => bulkItemMessage(topics, job.id, t)),
          );
          await advanceBulkJob(trx, job.id, {
            cursor: targets.at(-1)?.imageId ?? state.cursor,
            dispatched: fresh.length,
            enumerationDone: targets.length < room,
          });
          span.setAttribute('zocket.bulk.dispatched', fresh.length);
          metrics.bulkDispatched.inc(fresh.length);
          return 'dispatched';
        },
      );
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let delay = this.deps.config.tickMs;
      try {
        const result = await this.tick();
        // A full page may have more behind it; anything else waits for the next tick.
        if (result === 'dispatched' || result === 'finished') delay = 10;
      } catch (error) {
        this.deps.logger.warn({ err: error }, 'bulk dispatcher tick failed');
      }
      if (this.running) await this.pause.sleep(delay);
    }
  }

  /** Stops after the tick in progress (its transaction commits or rolls back whole). Idempotent. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pause.wake();
    await this.loop;
    await this.deps.lag.close();
  }
}
