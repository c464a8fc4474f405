import { HEADERS, imageJobEvent, type JOB_REASONS, type Topics } from '@zocket/contracts';
import type { ImageJobRef, OutboxMessage } from '@zocket/db';
import { traceHeaders } from '@zocket/telemetry';

/**
 * Outbox messages for image jobs: one `image-jobs` v1 event each, keyed by product. Their headers
 * carry the request's trace context (`traceparent`), so the processor's work joins its trace.
 */
export function imageJobMessages(
  jobs: readonly ImageJobRef[],
  reason: (typeof JOB_REASONS)[number],
  topics: Topics,
  correlationId: string,
): OutboxMessage[] {
  const requestedAt = new Date();
  const trace = traceHeaders();
  return jobs.map((job) => {
    const event = imageJobEvent(job, reason, requestedAt);
    return {
      topic: topics.imageJobs,
      key: job.productId,
      payload: event,
      headers: {
        ...trace,
        [HEADERS.correlationId]: correlationId,
        [HEADERS.eventType]: 'image.job.v1',
      },
    };
  });
}
