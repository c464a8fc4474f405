/** Kafka topic names: the only place they are spelled. infra/kafka/topics.txt is checked against these. */
export const TOPICS = {
  imageJobs: 'image-jobs',
  imageJobsRetry: 'image-jobs.retry',
  imageJobsDlq: 'image-jobs.dlq',
  imageResults: 'image-results',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

/** Kafka header names used across services. */
export const HEADERS = {
  correlationId: 'x-correlation-id',
  eventType: 'x-event-type',
  originalTopic: 'x-original-topic',
  attempts: 'x-attempts',
  error: 'x-error',
  errorCode: 'x-error-code',
  notBefore: 'x-not-before',
} as const;
