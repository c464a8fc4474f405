import type { ProcessorContext } from '../context.js';

/**
 * A lane is one consumer group with its own topics, retry topic and slots. Live and bulk are
 * separate kafkajs consumers, so a backfill can never take the slots of live uploads (kafkajs has
 * no priorities, and partitionsConsumedConcurrently is shared by a consumer's topics).
 */
export interface Lane {
  name: 'live' | 'bulk';
  topics: string[];
  retryTopic: string;
  groupId: string;
  concurrency: number;
}

export function lanesOf(ctx: ProcessorContext): Lane[] {
  const { topics, config } = ctx;
  return config.jobs.lanes.map(
    (name): Lane =>
      name === 'live'
        ? {
            name,
            topics: [topics.imageJobs, topics.imageJobsRetry],
            retryTopic: topics.imageJobsRetry,
            groupId: config.kafka.groupId,
            concurrency: config.jobs.concurrency,
          }
        : {
            name,
            topics: [topics.imageJobsBulk, topics.imageJobsBulkRetry],
            retryTopic: topics.imageJobsBulkRetry,
            groupId: config.kafka.bulkGroupId,
            concurrency: config.jobs.bulkConcurrency,
          },
  );
}
