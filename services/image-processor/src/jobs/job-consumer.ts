import { HEADERS } from '@zocket/contracts';
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { handleBulkMessage } from '../bulk/bulk-handler.js';
import { BulkJobStatusCache } from '../bulk/bulk-job-status.js';
import type { ProcessorContext } from '../context.js';
import { dependencyOutage } from '../outage/dependency-outage.js';
import { type HandleOptions, handleJob } from './job-handler.js';
import { inJobSpan } from './job-span.js';
import { headerValue } from './kafka-headers.js';
import type { Lane } from './lanes.js';

/**
 * A message that meets an outage this many times in a row (a real outage ends one pause, so it
 * costs one or two) is then charged like any transient failure: a job's own problem that looks
 * like an outage (one object S3 keeps refusing with 5xx while its probe answers) must not be
 * redelivered forever.
 */
const OUTAGES_BEFORE_CHARGING = 10;

/** A message an outage interrupted, until it is done. */
interface Interrupted {
  /** Its attempt is already counted on the image row. */
  counted: boolean;
  outages: number;
}
/** Heartbeats at a third of the session timeout (at most every 3 s): two may be lost in a row. */
export const heartbeatIntervalMs = (sessionTimeoutMs: number): number =>
  Math.min(3_000, Math.floor(sessionTimeoutMs / 3));

/**
 * The consumer group member of one lane: reads the lane's job topic and its retry topic, one partition's messages in
 * order, up to `concurrency` partitions at once, and commits each offset as soon as its job is done
 * (never before). A retry that is not due yet pauses its partition until it is, without blocking
 * other partitions. A rebalance is honoured between two jobs, not at the end of a batch.
 *
 * A job that meets an outage of our own services (PostgreSQL, S3, Redis) is not charged: its
 * offset stays unresolved, the outage gate pauses every partition of every lane, and the job is
 * fetched again once the dependency answers. Jobs in flight on other partitions finish or meet the
 * same outage; no partition starts another job while paused.
 */
export class ImageJobConsumer {
  private readonly consumer: Consumer;
  private running = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private joined = false;
  private readonly statuses: BulkJobStatusCache;
  private readonly interrupted = new Map<string, Interrupted>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly ctx: ProcessorContext,
    readonly lane: Lane,
    private readonly onFatal: (error: unknown) => void,
  ) {
    const { kafka } = ctx.config;
    this.statuses = new BulkJobStatusCache(ctx.db);
    const all = lane.topics.map((topic) => ({ topic }));
    this.unsubscribe = ctx.outage.onChange((paused) => {
      if (!this.running) return;
      if (paused) this.consumer.pause(all);
      else this.consumer.resume(all);
    });
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
      if (this.ctx.outage.paused) {
        // Fetched before the pause began: left unresolved, fetched again after the resume.
        this.consumer.pause(this.lane.topics.map((topic) => ({ topic })));
        return;
      }
      const notBefore = Number(headerValue(message.headers, HEADERS.notBefore) ?? 0);
      const wait = notBefore - Date.now();
      if (wait > 0) {
        // Unresolved messages are fetched again once the partition resumes.
        const resume = pause();
        const timer = setTimeout(() => {
          this.resumeTimers.delete(timer);
          // During an outage the gate's resume reopens every partition (this one re-pauses then).
          if (!this.ctx.outage.paused) resume();
        }, wait);
        this.resumeTimers.add(timer);
        return;
      }
      // Keep the session alive while a slow image is processed. Errors are left for the heartbeat
      // after the job: a job is not abandoned halfway because the group started a rebalance.
      const beat = setInterval(() => {
        heartbeat().catch(() => {});
      }, heartbeatIntervalMs(this.ctx.config.kafka.sessionTimeoutMs));
      const key = `${batch.topic}:${batch.partition}:${message.offset}`;
      const before = this.interrupted.get(key);
      const delivery: Pick<HandleOptions, 'countAttempt' | 'chargeOutages'> = {
        countAttempt: before?.counted !== true,
        chargeOutages: (before?.outages ?? 0) >= OUTAGES_BEFORE_CHARGING,
      };
      try {
        const job = { ...message, topic: batch.topic };
        await inJobSpan<unknown>(batch.topic, batch.partition, message, () =>
          this.lane.name === 'bulk'
            ? handleBulkMessage(this.ctx, job, this.lane, batch.partition, this.statuses, delivery)
            : handleJob(this.ctx, job, { ...delivery, retryTopic: this.lane.retryTopic }),
        );
      } catch (error) {
        const outage = dependencyOutage(error);
        if (outage === undefined) throw error;
        // Bounded: entries of partitions this member lost are never looked up again.
        if (this.interrupted.size > 10_000) this.interrupted.clear();
        this.interrupted.set(key, {
          counted: before?.counted === true || outage.attemptCounted,
          outages: (before?.outages ?? 0) + 1,
        });
        // Pauses this lane (and every other) before the batch ends, so nothing is fetched again
        // until the dependency answers; the offset stays unresolved and uncommitted.
        this.ctx.outage.report(outage, {
          lane: this.lane.name,
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
        });
        this.consumer.pause(this.lane.topics.map((topic) => ({ topic })));
        return;
      } finally {
        clearInterval(beat);
      }
      this.interrupted.delete(key);
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
      this.unsubscribe();
      for (const timer of this.resumeTimers) clearTimeout(timer);
      await this.consumer.disconnect();
    })();
    return this.stopping;
  }
}
