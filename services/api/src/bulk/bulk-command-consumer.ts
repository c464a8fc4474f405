import {
  type BulkCommandEventV1,
  type BulkJob,
  HEADERS,
  isAppError,
  parseBulkCommandEvent,
} from '@zocket/contracts';
import { type Db, recordBulkCommand, setBulkCommandJob } from '@zocket/db';
import type { Logger } from '@zocket/service-kit';
import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { ApiMetrics } from '../observability/metrics.js';
import { commandBulk, createBulkJob } from './bulk.service.js';

export type CommandResult =
  | { result: 'applied'; job: BulkJob }
  | { result: 'duplicate' }
  | { result: 'rejected' | 'invalid'; code: string; reason: string };

/**
 * Applies one command at most once per idempotency key: the key is recorded in the transaction
 * that applies it. A rejected command (CONFLICT, NOT_FOUND) records its key too, so a producer's
 * retry of it is a duplicate rather than a second dead letter.
 */
export async function applyBulkCommand(
  db: Db,
  command: BulkCommandEventV1,
): Promise<CommandResult> {
  const key = { idempotencyKey: command.idempotencyKey, command: command.command };
  try {
    const job = await db.transaction().execute(async (trx) => {
      const fresh = await recordBulkCommand(trx, {
        ...key,
        bulkJobId: command.command === 'start' ? null : command.jobId,
      });
      if (!fresh) return undefined;
      if (command.command === 'start') {
        const started = await createBulkJob(trx, `kafka:${command.requestedBy}`, {
          filter: command.filter,
          ...(command.maxInFlight === undefined ? {} : { maxInFlight: command.maxInFlight }),
        });
        await setBulkCommandJob(trx, command.idempotencyKey, started.id);
        return started;
      }
      return commandBulk(trx, command.jobId, command.command);
    });
    return job === undefined ? { result: 'duplicate' } : { result: 'applied', job };
  } catch (error) {
    if (!isAppError(error) || error.retryable || error.code === 'INTERNAL') throw error;
    const fresh = await recordBulkCommand(db, { ...key, bulkJobId: null });
    if (!fresh) return { result: 'duplicate' };
    return { result: 'rejected', code: error.code, reason: error.message };
  }
}

/**
 * Consumes `image-bulk-commands` in its own group. Invalid events and rejected commands are
 * copied to `image-bulk-commands.dlq` with `x-error-code` and `x-error` saying why; a database
 * outage throws, so the message is not committed and comes again.
 */
export class BulkCommandConsumer {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private stopping: Promise<void> | undefined;
  private started = false;

  constructor(
    private readonly deps: {
      db: Db;
      kafka: Kafka;
      topic: string;
      dlqTopic: string;
      groupId: string;
      logger: Logger;
      metrics: ApiMetrics;
    },
  ) {
    this.consumer = deps.kafka.consumer({
      groupId: deps.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
    });
    this.producer = deps.kafka.producer({ allowAutoTopicCreation: false });
  }

  /** Joins in the background: the API serves even while Kafka is away. */
  start(): void {
    if (this.started) return;
    this.started = true;
    void (async () => {
      await this.producer.connect();
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.deps.topic, fromBeginning: true });
      await this.consumer.run({ eachMessage: ({ message }) => this.handle(message) });
    })().catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, 'bulk command consumer could not start');
    });
  }

  private async handle(message: KafkaMessage): Promise<void> {
    const { logger, metrics } = this.deps;
    const parsed = parseBulkCommandEvent(message.value);
    let outcome: CommandResult;
    if (!parsed.ok) {
      outcome = { result: 'invalid', code: 'INVALID_COMMAND', reason: parsed.error };
    } else {
      outcome = await applyBulkCommand(this.deps.db, parsed.value);
    }
    metrics.bulkCommands.inc({ result: outcome.result });
    if (outcome.result === 'rejected' || outcome.result === 'invalid') {
      logger.warn({ code: outcome.code, reason: outcome.reason }, 'bulk command dead-lettered');
      await this.producer.send({
        topic: this.deps.dlqTopic,
        acks: -1,
        messages: [
          {
            key: message.key,
            value: message.value,
            headers: {
              ...message.headers,
              [HEADERS.originalTopic]: this.deps.topic,
              [HEADERS.errorCode]: outcome.code,
              [HEADERS.error]: outcome.reason.slice(0, 1000),
            },
          },
        ],
      });
    } else if (outcome.result === 'applied') {
      logger.info(
        { bulkJobId: outcome.job.id, status: outcome.job.status },
        'bulk command applied',
      );
    }
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.started) return;
      await this.consumer.disconnect().catch(() => {});
      await this.producer.disconnect().catch(() => {});
    })();
    return this.stopping;
  }
}
