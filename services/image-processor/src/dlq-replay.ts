import { randomUUID } from 'node:crypto';
import { HEADERS, parseImageJobEvent, type Topics } from '@zocket/contracts';
import type { IHeaders, Kafka, Producer } from 'kafkajs';
import { headerValue } from './job-handler.js';

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
  /** Consumer group that remembers what was replayed; a fresh one re-reads the whole topic. */
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
 * Re-publishes dead-lettered jobs to the topic they came from, with a fresh attempt count, up to
 * the end of the DLQ as it was when the replay started. Messages are not removed from the DLQ;
 * the consumer group's committed offsets make the next replay start after this one.
 */
export async function replayDlq(options: ReplayOptions): Promise<ReplayReport> {
  const { kafka, producer, topics, filter } = options;
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  const done = new Set<number>();
  try {
    for (const p of await admin.fetchTopicOffsets(topics.imageJobsDlq)) {
      ends.set(p.partition, BigInt(p.high));
      if (BigInt(p.high) === 0n) done.add(p.partition);
    }
    // Partitions this group already replayed to the end have nothing new to fetch.
    const committed = await admin.fetchOffsets({
      groupId: options.groupId,
      topics: [topics.imageJobsDlq],
    });
    for (const p of committed[0]?.partitions ?? []) {
      const high = ends.get(p.partition);
      if (high !== undefined && p.offset !== '-1' && BigInt(p.offset) >= high)
        done.add(p.partition);
    }
  } finally {
    await admin.disconnect();
  }
  const report: ReplayReport = { scanned: 0, replayed: 0, skipped: 0 };
  const consumer = kafka.consumer({ groupId: options.groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: topics.imageJobsDlq, fromBeginning: true });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    if (done.size === ends.size) finish();
    await consumer.run({
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
                    'x-replayed-from-dlq': 'true',
                  },
                },
              ],
            });
          }
          report.replayed += 1;
        } else {
          report.skipped += 1;
        }
        if (BigInt(message.offset) + 1n >= high) {
          done.add(partition);
          if (done.size === ends.size) finish();
        }
      },
    });
    await finished;
  } finally {
    await consumer.disconnect();
  }
  return report;
}
