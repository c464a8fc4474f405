import { HEADERS } from '@zocket/contracts';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { handleBulkMessage } from '../bulk/bulk-handler.js';
import { BulkJobStatusCache } from '../bulk/bulk-job-status.js';
import type { ProcessorContext } from '../context.js';
import { handleJob } from './job-handler.js';
import { inJobSpan } from './job-span.js';
import { headerValue } from './kafka-headers.js';
import type { Lane } from './lanes.js';

/** Heartbeats at a third of the session timeout (at most every 3 s): two may be lost in a row. */
export const heartbeatIntervalMs = (sessionTimeoutMs: number): number =>
  Math.min(3_000, Math.floor(sessionTimeoutMs / 3));

/**
 * The consumer group member of one lane: reads the lane's job topic and its retry topic, one partition's messages in
 * order, up to `concurrency` partitions at once, and commits each offset as soon as its job is done
 * (never before). A retry that is not due yet pauses its partition until it is, without blocking
 * other partitions. A rebalance is honoured between two jobs, not at the end of a batch.
 */
export class ImageJobConsumer {
  private readonly consumer: Consumer;
  private running = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private joined = false;
  private readonly statuses: BulkJobStatusCache;

  constructor(
    private readonly ctx: ProcessorContext,
    readonly lane: Lane,
    private readonly onFatal: (error: unknown) => void,
  ) {
    const { kafka } = ctx.config;
    this.statuses = new BulkJobStatusCache(ctx.db);
    this.consumer = ctx.kafka.consumer({
      groupId: lane.groupId,
      sessionTimeout: kafka.sessionTimeoutMs,
      heartbeatInterval: heartbeatIntervalMs(kafka.sessionTimeoutMs),
      rebalanceTimeout: Math.max(60_000, ctx.config.jobs.timeoutMs + 10_000),
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer after a delay; never once a stop was asked for.
      retry: { retries: 5, restartOnFailure: async () => !this.stopRequested },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      if (this.stopRequested) {
        // A restart that was already under way when stop() ran: leave again at once.
        void this.consumer.disconnect().catch(() => {});
        return;
      }
      this.joined = true;
      ctx.metrics.groupJoins.inc({ lane: lane.name });
      ctx.logger.info(
        { lane: lane.name, assignment: event.payload.memberAssignment },
        'joined consumer group',
      );
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      if (this.stopRequested) {
        // A connection that breaks while the member leaves (restartOnFailure says no once a stop
        // was asked for) is part of the shutdown under way, not a reason to exit non-zero.
        ctx.logger.warn(
          { err: event.payload.error, lane: lane.name },
          'consumer crashed while stopping',
        );
        return;
      }
      ctx.logger.error(
        { err: event.payload.error, restart: event.payload.restart },
        'consumer crashed',
      );
      if (!event.payload.restart) this.onFatal(event.payload.error);
    });
  }

  /** True once the member has joined its group and received partitions. */
  get ready(): boolean {
    return this.running && this.joined;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.lane.topics, fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      partitionsConsumedConcurrently: this.lane.concurrency,
      eachBatchAutoResolve: false,
      autoCommit: true,
      // With eachBatch, kafkajs commits only at the end of a batch unless told otherwise, and a
      // batch can hold thousands of jobs (1 MiB per partition). A threshold of 1 makes
      // commitOffsetsIfNecessary commit every resolved offset: one round trip to the coordinator
      // per job, which is noise next to a job's fetch, encodes, uploads and acks=all produce, and a
      // crash or a lost partition then repeats at most the jobs in flight.
      autoCommitThreshold: 1,
      eachBatch: (payload) => this.eachBatch(payload),
    });
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale, pause } =
      payload;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      const notBefore = Number(headerValue(message.headers, HEADERS.notBefore) ?? 0);
      const wait = notBefore - Date.now();
      if (wait > 0) {
        // Unresolved messages are fetched again once the partition resumes.
        const resume = pause();
        const timer = setTimeout(() => {
          this.resumeTimers.delete(timer);
          resume();
        }, wait);
        this.resumeTimers.add(timer);
        return;
      }
      // Keep the session alive while a slow image is processed. Errors are left for the heartbeat
      // after the job: a job is not abandoned halfway because the group started a rebalance.
      const beat = setInterval(() => {
        heartbeat().catch(() => {});
      }, heartbeatIntervalMs(this.ctx.config.kafka.sessionTimeoutMs));
      try {
        const job = { ...message, topic: batch.topic };
        await inJobSpan<unknown>(batch.topic, batch.partition, message, () =>
          this.lane.name === 'bulk'
            ? handleBulkMessage(this.ctx, job, this.lane, batch.partition, this.statuses)
            : handleJob(this.ctx, job, { retryTopic: this.lane.retryTopic }),
        );
      } finally {
        clearInterval(beat);
      }
      resolveOffset(message.offset);
      await commitOffsetsIfNecessary();
      // A rebalance makes this throw (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID)
      // and the error must end the batch: kafkajs then commits what was resolved and rejoins the
      // group (its runner handles these without a crash, so onFatal is not called). Swallowed, it
      // kept this member working through the rest of the batch on partitions it may have lost,
      // holding up the whole group's rebalance until rebalanceTimeout evicted it.
      await heartbeat();
    }
  }

  /** Stops fetching, lets in-flight jobs finish, commits, leaves the group. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true;
      this.running = false;
      for (const timer of this.resumeTimers) clearTimeout(timer);
      await this.consumer.disconnect();
    })();
    return this.stopping;
  }
}
