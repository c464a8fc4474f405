import { HEADERS, parseImageJobEvent } from '@zocket/contracts';
import { type BulkItemOutcome, recordBulkItemOutcome } from '@zocket/db';
import type { ProcessorContext } from '../context.js';
import { type HandleOptions, handleJob, type JobMessage } from '../jobs/job-handler.js';
import { headerValue } from '../jobs/kafka-headers.js';
import type { Lane } from '../jobs/lanes.js';
import type { JobOutcome } from '../observability/metrics.js';
import type { BulkJobStatusCache } from './bulk-job-status.js';

/** The item outcome of a job outcome; `retried` records nothing yet (the retry will). */
const ITEM_OUTCOME: Record<JobOutcome, BulkItemOutcome | undefined> = {
  ready: 'succeeded',
  failed: 'failed',
  invalid: 'failed',
  stale: 'skipped',
  retried: undefined,
};

/**
 * Handles one bulk-lane message: an item of a cancelling or cancelled job is recorded `cancelled`
 * and not rendered; any other runs as a job (its retries stay on the bulk lane, and a URL image
 * seen before is re-rendered from its kept original) and its outcome is recorded once (a
 * redelivery finds the item no longer `dispatched` and changes nothing). A message without a bulk
 * job header is an ordinary job sent to the bulk lane. A dependency outage records nothing: it
 * propagates (as from handleJob), the lane pauses and the item is redelivered, not counted failed.
 */
export async function handleBulkMessage(
  ctx: ProcessorContext,
  message: JobMessage,
  lane: Lane,
  partition: number,
  statuses: BulkJobStatusCache,
  delivery: Pick<HandleOptions, 'countAttempt' | 'chargeOutages'> = {},
): Promise<void> {
  const bulkJobId = headerValue(message.headers, HEADERS.bulkJobId);
  const parsed = parseImageJobEvent(message.value);
  const options = { ...delivery, retryTopic: lane.retryTopic, trustStoredSource: true };
  if (bulkJobId === undefined || !parsed.ok) {
    await handleJob(ctx, message, options);
    return;
  }
  const item = { bulkJobId, imageId: parsed.value.imageId, shard: partition };
  const status = await statuses.get(bulkJobId);
  let outcome: BulkItemOutcome | undefined;
  if (status === 'cancelling' || status === 'cancelled') {
    outcome = 'cancelled';
  } else {
    outcome = ITEM_OUTCOME[await handleJob(ctx, message, options)];
  }
  if (outcome === undefined) return;
  if (await recordBulkItemOutcome(ctx.db, { ...item, outcome })) {
    ctx.metrics.bulkItems.inc({ outcome });
  }
}
