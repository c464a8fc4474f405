import { randomUUID } from 'node:crypto';
import { HEADERS, parseImageJobEvent, type Topics } from '@zocket/contracts';
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { headerValue } from '../jobs/kafka-headers.js';

export interface ReplayFilter {
  errorCode?: string;
  productId?: string;
  imageId?: string;
}

export interface ReplayOptions {
  kafka: Kafka;
  producer: Producer;
  topics: Topics;
  filter: ReplayFilter;
  /**
   * Consumer group that remembers what was replayed (by real, unfiltered runs only); a fresh one
   * re-reads the whole topic.
   */
  groupId: string;
  dryRun: boolean;
}

export interface ReplayReport {
  scanned: number;
  replayed: number;
  skipped: number;
}

function matches(
  filter: ReplayFilter,
  headers: IHeaders | undefined,
  value: Buffer | null,
): boolean {
  if (
    filter.errorCode !== undefined &&
    headerValue(headers, HEADERS.errorCode) !== filter.errorCode
  ) {
    return false;
  }
  if (filter.productId === undefined && filter.imageId === undefined) return true;
  const parsed = parseImageJobEvent(value);
  if (!parsed.ok) return false;
  return (
    (filter.productId === undefined || parsed.value.productId === filter.productId) &&
    (filter.imageId === undefined || parsed.value.imageId === filter.imageId)
  );
}

/**
 * Whether a DLQ partition has nothing for this group to replay: nothing between where its consumer
 * starts (the committed offset, or the oldest message retention kept when there is none or it was
 * deleted) and the end. Offsets are Kafka's: `high` is the offset after the last message.
 */
export function nothingToReplay(partition: {
  low: bigint;
  high: bigint;
  committed: bigint | undefined;
}): boolean {
  const { low, high, committed } = partition;
  const start = committed !== undefined && committed > low ? committed : low;
  return start >= high;
}

function isFiltered(filter: ReplayFilter): boolean {
  return (
    filter.errorCode !== undefined || filter.productId !== undefined || filter.imageId !== undefined
  );
}

/**
 * Re-publishes dead-lettered jobs to the topic they came from, with a fresh attempt count, up to
 * the end of the DLQ as it was when the replay started. Messages are not removed from the DLQ.
 * A real run without filters commits the group's offsets at its end, so the next replay starts
 * after it; a dry run or a filtered run commits nothing and can be repeated (replayed jobs are
 * idempotent), so a later full run still sees every message they skipped.
 */
export async function replayDlq(options: ReplayOptions): Promise<ReplayReport> {
  const { kafka, producer, topics, filter } = options;
  const commit = !options.dryRun && !isFiltered(filter);
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  const done = new Set<number>();
  try {
    const committed = await admin.fetchOffsets({
      groupId: options.groupId,
      topics: [topics.imageJobsDlq],
    });
    const committedOffsets = new Map(
      (committed[0]?.partitions ?? [])
        .filter((p) => p.offset !== '-1')
        .map((p) => [p.partition, BigInt(p.offset)]),
    );
    for (const p of await admin.fetchTopicOffsets(topics.imageJobsDlq)) {
      const high = BigInt(p.high);
      ends.set(p.partition, high);
      // No message will arrive for such a partition (empty, replayed to the end by this group, or
      // emptied by retention), so it must count as finished now or the replay never ends.
      const committedOffset = committedOffsets.get(p.partition);
      if (nothingToReplay({ low: BigInt(p.low), high, committed: committedOffset })) {
        done.add(p.partition);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const report: ReplayReport = { scanned: 0, replayed: 0, skipped: 0 };
  // Per partition, the offset after the last message this run handled (below the end it read).
  const handled = new Map<number, bigint>();
  const consumer = kafka.consumer({ groupId: options.groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: topics.imageJobsDlq, fromBeginning: true });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    if (done.size === ends.size) finish();
    // Never kafkajs's autoCommit: it would commit what a dry or filtered run only looked at, and
    // messages that arrived after the end this run read.
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const high = ends.get(partition) ?? 0n;
        if (BigInt(message.offset) >= high) {
          done.add(partition);
          if (done.size === ends.size) finish();
          return;
        }
        report.scanned += 1;
        if (matches(filter, message.headers, message.value)) {
          const target = headerValue(message.headers, HEADERS.originalTopic) ?? topics.imageJobs;
          if (!options.dryRun) {
            const correlationId =
              headerValue(message.headers, HEADERS.correlationId) ?? randomUUID();
            await producer.send({
              topic: target === topics.imageJobsRetry ? topics.imageJobs : target,
              acks: -1,
              messages: [
                {
                  key: message.key,
                  value: message.value,
                  headers: {
                    [HEADERS.correlationId]: correlationId,
                    [HEADERS.replayedFromDlq]: 'true',
                  },
                },
              ],
            });
          }
          report.replayed += 1;
        } else {
          report.skipped += 1;
        }
        handled.set(partition, BigInt(message.offset) + 1n);
        if (BigInt(message.offset) + 1n >= high) {
          done.add(partition);
          if (done.size === ends.size) finish();
        }
      },
    });
    await finished;
    if (commit && handled.size > 0) {
      await consumer.commitOffsets(
        [...handled].map(([partition, offset]) => ({
          topic: topics.imageJobsDlq,
          partition,
          offset: offset.toString(),
        })),
      );
    }
  } finally {
    await consumer.disconnect();
  }
  return report;
}
