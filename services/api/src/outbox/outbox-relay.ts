import {
  claimOutboxBatch,
  createOutboxListener,
  type Db,
  markOutboxPublished,
  type OutboxListener,
  type OutboxRow,
  purgePublishedOutbox,
  recordOutboxFailure,
} from '@zocket/db';
import { type Logger, PRODUCER_OPTIONS } from '@zocket/service-kit';
import {
  contextFromHeaders,
  inSpan,
  type Link,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@zocket/telemetry';
import type { Kafka, Message, Producer } from 'kafkajs';
import { WakeableSleep } from '../background/wakeable-sleep.js';
import type { ApiConfig } from '../config.js';
import type { ApiMetrics } from '../observability/metrics.js';

const MAX_BACKOFF_MS = 30_000;
const PURGE_EVERY_MS = 60_000;
/** How long `stop` keeps publishing; rows still waiting go out with another relay or the next start. */
const FINAL_DRAIN_MS = 5_000;

function toKafkaMessages(rows: readonly OutboxRow[]): Map<string, Message[]> {
  const byTopic = new Map<string, Message[]>();
  for (const row of rows) {
    const messages = byTopic.get(row.topic) ?? [];
    messages.push({
      key: row.message_key,
      value: JSON.stringify(row.payload),
      headers: row.headers,
    });
    byTopic.set(row.topic, messages);
  }
  return byTopic;
}

/**
 * Links from a batch's span to the trace each row was written in (its `traceparent` header): the
 * OpenTelemetry messaging convention for a batch serving many traces.
 */
export function batchLinks(rows: readonly Pick<OutboxRow, 'headers'>[]): Link[] {
  return rows.flatMap((row) => {
    const context = trace.getSpanContext(contextFromHeaders(row.headers));
    return context === undefined ? [] : [{ context }];
  });
}

/**
 * Publishes outbox rows to Kafka oldest first, marks them published, and never drops one: a row is
 * marked only after Kafka acknowledged it (acks=all); a failed batch stays and is retried with
 * backoff. Rows are claimed FOR UPDATE SKIP LOCKED, so several API processes can relay together
 * (and may then publish a product's rows out of order: the processor acts only on an image's
 * current job id, so arrival order does not matter).
 * Wakes on NOTIFY from the writing transaction, and polls as a fallback.
 */
export class OutboxRelay {
  private readonly producer: Producer;
  private connected = false;
  private running = false;
  private loop: Promise<void> | undefined;
  private listener: OutboxListener | undefined;
  private readonly pause = new WakeableSleep();
  private pendingWake = false;
  private failures = 0;
  private lastPurge = 0;

  constructor(
    private readonly deps: {
      db: Db;
      databaseUrl: string;
      kafka: Kafka;
      logger: Logger;
      metrics: ApiMetrics;
      config: ApiConfig['outbox'];
    },
  ) {
    this.producer = deps.kafka.producer(PRODUCER_OPTIONS);
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.listener = createOutboxListener(this.deps.databaseUrl, {
      onNotify: () => this.wake(),
      onError: (error) => this.deps.logger.warn({ err: error }, 'outbox listener connection lost'),
    });
    this.loop = this.run();
  }

  /** Asks the loop to look for rows now; while Kafka is failing, the backoff is not cut short. */
  wake(): void {
    this.pendingWake = true;
    if (this.failures === 0) this.pause.wake();
  }

  /** Publishes one batch; returns how many rows went out. Throws when Kafka refused the batch. */
  async publishBatch(): Promise<number> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    let failure: unknown;
    const published = await this.deps.db.transaction().execute(async (trx) => {
      const rows = await claimOutboxBatch(trx, this.deps.config.batchSize);
      if (rows.length === 0) return 0;
      // One PRODUCER span per batch, linked to each row's trace; the rows' headers (traceparent
      // included) go to Kafka as written.
      return inSpan(
        'publish outbox',
        {
          kind: SpanKind.PRODUCER,
          links: batchLinks(rows),
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'publish',
            'messaging.batch.message_count': rows.length,
          },
        },
        async (span) => {
          const ids = rows.map((r) => r.id);
          try {
            await this.producer.sendBatch({
              acks: -1,
              topicMessages: [...toKafkaMessages(rows)].map(([topic, messages]) => ({
                topic,
                messages,
              })),
            });
          } catch (error) {
            failure = error;
            const message = error instanceof Error ? error.message : String(error);
            span.setStatus({ code: SpanStatusCode.ERROR, message });
            await recordOutboxFailure(trx, ids, message);
            return 0;
          }
          await markOutboxPublished(trx, ids);
          return rows.length;
        },
      );
    });
    if (failure !== undefined) throw failure;
    this.deps.metrics.outboxPublished.inc(published);
    return published;
  }

  private async run(): Promise<void> {
    const { logger, config } = this.deps;
    while (this.running) {
      let delay = config.pollIntervalMs;
      this.pendingWake = false;
      try {
        const published = await this.publishBatch();
        if (this.failures > 0) logger.info({ after: this.failures }, 'outbox relay recovered');
        this.failures = 0;
        if (published === config.batchSize) continue;
        await this.maybePurge();
      } catch (error) {
        this.failures += 1;
        this.deps.metrics.outboxPublishFailures.inc();
        delay = Math.min(config.pollIntervalMs * 2 ** Math.min(this.failures, 10), MAX_BACKOFF_MS);
        logger.warn(
          { err: error, failures: this.failures, retryInMs: delay },
          'outbox publish failed',
        );
        if (this.connected) {
          this.connected = false;
          await this.producer.disconnect().catch(() => {});
        }
      }
      if (this.running && !(this.pendingWake && this.failures === 0)) await this.pause.sleep(delay);
    }
  }

  private async maybePurge(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    const purged = await purgePublishedOutbox(this.deps.db, this.deps.config.retentionSeconds);
    if (purged > 0) this.deps.logger.debug({ purged }, 'purged published outbox rows');
  }

  /**
   * Stops the loop after a last attempt, bounded by FINAL_DRAIN_MS, to publish what is waiting
   * (other processes keep writing rows), then disconnects. Idempotent.
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.pause.wake();
    await this.loop;
    await this.listener?.close();
    try {
      const deadline = Date.now() + FINAL_DRAIN_MS;
      if (this.failures === 0) {
        while (Date.now() < deadline && (await this.publishBatch()) > 0) {}
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'outbox rows left for the next relay');
    }
    await this.producer.disconnect().catch(() => {});
    this.connected = false;
  }
}
