/** Kafka topic names: the only place they are spelled. infra/kafka/topics.txt is checked against these. */
export const TOPICS = {
  imageJobs: 'image-jobs',
  imageJobsRetry: 'image-jobs.retry',
  imageJobsDlq: 'image-jobs.dlq',
  imageResults: 'image-results',
} as const;
export type Topics = { [K in keyof typeof TOPICS]: string };

/** The topic names with a prefix (empty in production; tests use a unique one each). */
export function topicNames(prefix = ''): Topics {
  return {
    imageJobs: `${prefix}${TOPICS.imageJobs}`,
    imageJobsRetry: `${prefix}${TOPICS.imageJobsRetry}`,
    imageJobsDlq: `${prefix}${TOPICS.imageJobsDlq}`,
    imageResults: `${prefix}${TOPICS.imageResults}`,
  };
}

/** Kafka header names used across services. */
export const HEADERS = {
  correlationId: 'x-correlation-id',
  eventType: 'x-event-type',
  originalTopic: 'x-original-topic',
  attempts: 'x-attempts',
  error: 'x-error',
  errorCode: 'x-error-code',
  notBefore: 'x-not-before',
  /** On a job the DLQ replay re-published. */
  replayedFromDlq: 'x-replayed-from-dlq',
} as const;
