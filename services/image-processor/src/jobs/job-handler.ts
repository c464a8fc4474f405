import { createHash } from 'node:crypto';
import {
  HEADERS,
  type ImageFailure,
  type ImageJobEventV1,
  type ImageResultEventV1,
  type ImageVariant,
  parseImageJobEvent,
} from '@zocket/contracts';
import {
  completeImageJob,
  failImageJob,
  findImageByJob,
  findImageContentHash,
  startImageJob,
} from '@zocket/db';
import { inSpan, traceHeaders } from '@zocket/telemetry';
import type { IHeaders, Message } from 'kafkajs';
import type { ProcessorContext } from '../context.js';
import { safeFetch } from '../fetch/safe-fetch.js';
import type { JobOutcome } from '../observability/metrics.js';
import { dependencyOutage, redisOutage } from '../outage/dependency-outage.js';
import { processImage } from '../pipeline/image-pipeline.js';
import { lookupRendition, type RenderedImage, renderOnce } from '../pipeline/renditions.js';
import { getOriginal, getSourceObject, putOriginal, putVariants } from '../s3/s3-store.js';
import { classifyError, type Failure, JobTimeoutError, retryDelayMs } from './failure-policy.js';
import { attemptOf, headerValue } from './kafka-headers.js';

/** A message as the consumer received it. */
export interface JobMessage {
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders | undefined;
}

function withDeadline<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new JobTimeoutError(`job took longer than ${ms} ms`));
    }, ms);
  });
  return Promise.race([run(controller.signal), deadline]).finally(() => clearTimeout(timer));
}

/** The sha256 an uploaded original's key ends with (`uploads/<productId>/<sha256>`), if any. */
function uploadHash(job: ImageJobEventV1): string | undefined {
  if (job.source.kind !== 'upload') return undefined;
  return /\/([0-9a-f]{64})$/.exec(job.source.key)?.[1];
}

/** The source bytes: a kept original when allowed and present, else the upload or the web. */
async function sourceBytes(
  ctx: ProcessorContext,
  job: ImageJobEventV1,
  knownHash: string | undefined,
  signal: AbortSignal,
): Promise<{ bytes: Buffer; fetched: boolean }> {
  const { config } = ctx;
  if (job.source.kind === 'upload') {
    const bytes = await getSourceObject(
      ctx.s3,
      config.s3,
      job.source.key,
      config.fetch.maxBytes,
      signal,
    );
    return { bytes, fetched: false };
  }
  if (knownHash !== undefined) {
    const kept = await getOriginal(ctx.s3, config.s3, knownHash, config.fetch.maxBytes, signal);
    if (kept !== undefined) return { bytes: kept, fetched: false };
  }
  const response = await safeFetch(job.source.url, {
    allowlist: ctx.allowlist,
    connectTimeoutMs: config.fetch.connectTimeoutMs,
    totalTimeoutMs: config.fetch.totalTimeoutMs,
    maxBytes: config.fetch.maxBytes,
    signal,
  });
  return { bytes: response.body, fetched: true };
}

/**
 * The image's variants: reused from a stored rendition of the same bytes and profile when there
 * is one (no decode, encode or upload), rendered and stored otherwise. `trustStoredSource` (bulk
 * re-renders) lets a URL image whose bytes were seen before skip the web: its rendition is looked
 * up by the recorded hash, and its original is read from S3.
 */
async function produceVariants(
  ctx: ProcessorContext,
  job: ImageJobEventV1,
  signal: AbortSignal,
  trustStoredSource: boolean,
): Promise<RenderedImage> {
  const { config } = ctx;
  const knownHash =
    uploadHash(job) ??
    (trustStoredSource && job.source.kind === 'url'
      ? ((await findImageContentHash(ctx.db, job.imageId)) ?? undefined)
      : undefined);
  if (knownHash !== undefined) {
    const hit = await lookupRendition(ctx, knownHash);
    if (hit !== undefined) return hit;
  }
  const source = await sourceBytes(ctx, job, knownHash, signal);
  ctx.metrics.bytesIn.inc(source.bytes.length);
  const contentHash = createHash('sha256').update(source.bytes).digest('hex');
  if (source.fetched) await putOriginal(ctx.s3, config.s3, contentHash, source.bytes, signal);
  if (contentHash !== knownHash) {
    const hit = await lookupRendition(ctx, contentHash);
    if (hit !== undefined) return hit;
  }
  return renderOnce(ctx, contentHash, async () => {
    // Two spans split a render into decode/encode (sharp) and the S3 uploads.
    const processed = await inSpan('render variants', {}, async (span) => {
      const result = await processImage(
        source.bytes,
        ctx.profile,
        { maxPixels: config.images.maxPixels, maxInputBytes: config.fetch.maxBytes },
        ctx.scoring,
      );
      span.setAttributes({
        'zocket.image.width': result.source.width,
        'zocket.image.height': result.source.height,
        'zocket.image.variants': result.variants.length,
      });
      return result;
    });
    signal.throwIfAborted();
    const variants = await inSpan(
      'upload variants',
      { attributes: { 'zocket.image.variants': processed.variants.length } },
      () => putVariants(ctx.s3, config.s3, ctx.profile.version, contentHash, processed.variants),
    );
    for (const v of processed.variants) ctx.metrics.bytesOut.inc({ format: v.format }, v.bytes);
    return {
      variants,
      placeholder: processed.placeholder,
      width: processed.source.width,
      height: processed.source.height,
      bytes: processed.source.bytes,
      contentHash,
    };
  });
}

/** Announces on `image-results` that the image is now ready or failed. */
async function publishResult(
  ctx: ProcessorContext,
  job: ImageJobEventV1,
  correlationId: string | undefined,
  result: { variants: ImageVariant[]; placeholder: string | null; failure: ImageFailure | null },
): Promise<void> {
  const event: ImageResultEventV1 = {
    type: 'image.result',
    version: 1,
    jobId: job.jobId,
    productId: job.productId,
    imageId: job.imageId,
    status: result.failure === null ? 'ready' : 'failed',
    variants: result.variants,
    placeholder: result.placeholder,
    failure: result.failure,
    processedAt: new Date().toISOString(),
  };
  await ctx.producer.send({
    topic: ctx.topics.imageResults,
    acks: -1,
    messages: [
      {
        key: job.productId,
        value: JSON.stringify(event),
        headers: {
          ...traceHeaders(),
          [HEADERS.eventType]: 'image.result.v1',
          ...(correlationId === undefined ? {} : { [HEADERS.correlationId]: correlationId }),
        },
      },
    ],
  });
}

/**
 * The last two effects of a job whose image is recorded `ready`: clear the product's cached copy,
 * then announce the result. Both throw on failure, so the job is retried and repeats only these.
 */
async function finishReady(
  ctx: ProcessorContext,
  job: ImageJobEventV1,
  correlationId: string | undefined,
  image: { variants: ImageVariant[]; placeholder: string | null },
): Promise<void> {
  await ctx.cache.invalidate(job.productId).catch((error: unknown) => {
    throw redisOutage(error) ?? error;
  });
  await publishResult(ctx, job, correlationId, {
    variants: image.variants,
    placeholder: image.placeholder,
    failure: null,
  });
}

/**
 * Copies the original message to `topic` (retry or dead-letter) with where it came from, which
 * delivery it was and why it failed; `extra` headers are added. Its `traceparent` is this
 * attempt's span, so the next attempt (or a DLQ replay) continues the same trace.
 */
async function forward(
  ctx: ProcessorContext,
  topic: string,
  message: JobMessage,
  attempts: number,
  failure: Pick<Failure, 'code' | 'message'>,
  extra: Record<string, string> = {},
): Promise<void> {
  const forwarded: Message = {
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [HEADERS.originalTopic]: headerValue(message.headers, HEADERS.originalTopic) ?? message.topic,
      [HEADERS.attempts]: String(attempts),
      [HEADERS.error]: failure.message.slice(0, 1000),
      [HEADERS.errorCode]: failure.code,
      ...extra,
      ...traceHeaders(),
    },
  };
  await ctx.producer.send({ topic, acks: -1, messages: [forwarded] });
}

async function sendToDlq(
  ctx: ProcessorContext,
  message: JobMessage,
  attempts: number,
  failure: Pick<Failure, 'code' | 'message'>,
): Promise<void> {
  await forward(ctx, ctx.topics.imageJobsDlq, message, attempts, failure);
  ctx.metrics.dlq.inc({ code: failure.code });
}

/** How a lane handles its jobs: where retries go, and whether kept originals may be reused. */
export interface HandleOptions {
  /** The lane's retry topic (default: the live lane's `image-jobs.retry`). */
  retryTopic?: string;
  /** Bulk re-renders: a URL image already rendered once is re-rendered from its kept original. */
  trustStoredSource?: boolean;
  /**
   * False for a redelivery of a job an outage interrupted after its attempt was counted: the
   * outage was not the job's fault, so the image row does not count that delivery twice.
   */
  countAttempt?: boolean;
  /**
   * Treat a dependency outage as an ordinary transient failure (retry topic, attempt charged):
   * for a job that keeps meeting "outages" while the dependency's probe answers.
   */
  chargeOutages?: boolean;
}

/** Sends the job to the retry topic, not to be handled before its backoff has passed. */
async function sendToRetry(
  ctx: ProcessorContext,
  message: JobMessage,
  attempt: number,
  failure: Failure,
  options: HandleOptions,
): Promise<void> {
  const notBefore = Date.now() + retryDelayMs(attempt, ctx.config.jobs);
  const topic = options.retryTopic ?? ctx.topics.imageJobsRetry;
  await forward(ctx, topic, message, attempt + 1, failure, {
    [HEADERS.notBefore]: String(notBefore),
  });
  ctx.metrics.retries.inc();
}

/**
 * Handles one `image-jobs` (or retry) message to completion. Returns only when every effect is
 * durable (row written, result published, or the message handed to the retry or dead-letter
 * topic), so the caller may commit the offset. Throws a DependencyOutageError when PostgreSQL, S3
 * or Redis is down (the job is not charged: the caller pauses and redelivers it), or any error if
 * even the hand-off failed.
 */
export async function handleJob(
  ctx: ProcessorContext,
  message: JobMessage,
  options: HandleOptions = {},
): Promise<JobOutcome> {
  const started = performance.now();
  let outcome: JobOutcome;
  try {
    outcome = await handle(ctx, message, options);
  } catch (error) {
    const outage = options.chargeOutages === true ? undefined : dependencyOutage(error);
    if (outage !== undefined) throw outage;
    // Recording the outcome itself failed (database or Kafka away): run the whole job again later.
    // If even the retry topic refuses it, the error reaches the consumer and the offset stays.
    ctx.logger.warn(
      { err: error },
      'could not record a job outcome; handing it to the retry topic',
    );
    await sendToRetry(ctx, message, attemptOf(message.headers), classifyError(error), options);
    outcome = 'retried';
  }
  ctx.metrics.jobs.inc({ outcome });
  ctx.metrics.jobDuration.observe({ outcome }, (performance.now() - started) / 1000);
  return outcome;
}

async function handle(
  ctx: ProcessorContext,
  message: JobMessage,
  options: HandleOptions,
): Promise<JobOutcome> {
  const attempt = attemptOf(message.headers);
  const correlationId = headerValue(message.headers, HEADERS.correlationId);
  const parsed = parseImageJobEvent(message.value);
  if (!parsed.ok) {
    ctx.logger.warn(
      { correlationId, error: parsed.error, topic: message.topic },
      'invalid job event',
    );
    await sendToDlq(ctx, message, attempt, { code: 'INVALID_EVENT', message: parsed.error });
    return 'invalid';
  }
  const job = parsed.value;
  const log = ctx.logger.child({
    correlationId,
    jobId: job.jobId,
    imageId: job.imageId,
    productId: job.productId,
    attempt,
  });

  let failure: Failure;
  let started = false;
  try {
    const productId = await startImageJob(ctx.db, job, job.reason, {
      countAttempt: options.countAttempt !== false,
    });
    started = productId !== undefined;
    if (productId === undefined) {
      const current = await findImageByJob(ctx.db, job);
      if (current?.image.status !== 'ready') {
        log.info('stale job ignored (image replaced or deleted)');
        return 'stale';
      }
      // A redelivery of a job that already succeeded (other than `reprocess`, which renders it
      // again): finish its last two effects again, in case the first delivery stopped between the
      // row write and the result event.
      await finishReady(ctx, job, correlationId, current.image);
      log.info('duplicate delivery of a finished job');
      return 'ready';
    }
    const rendered = await withDeadline(ctx.config.jobs.timeoutMs, (signal) =>
      produceVariants(ctx, job, signal, options.trustStoredSource === true),
    );
    const { variants } = rendered;
    const recorded = await completeImageJob(ctx.db, job, {
      ...rendered,
      profileVersion: ctx.profile.version,
    });
    if (!recorded) {
      log.info('image changed while processing; result dropped');
      return 'stale';
    }
    await finishReady(ctx, job, correlationId, { variants, placeholder: rendered.placeholder });
    log.info({ variants: variants.length }, 'image ready');
    return 'ready';
  } catch (error) {
    const outage = options.chargeOutages === true ? undefined : dependencyOutage(error);
    if (outage !== undefined) {
      outage.attemptCounted = started || options.countAttempt === false;
      throw outage;
    }
    failure = classifyError(error);
    log.warn({ err: error, code: failure.code, retryable: failure.retryable }, 'image job failed');
  }

  if (failure.retryable && attempt < ctx.config.jobs.maxAttempts) {
    await sendToRetry(ctx, message, attempt, failure, options);
    return 'retried';
  }
  const final: ImageFailure = failure.retryable
    ? {
        code: 'RETRIES_EXHAUSTED',
        message: `gave up after ${attempt} attempts: ${failure.message}`.slice(0, 1000),
      }
    : { code: failure.code, message: failure.message };
  // Dead-lettered before the image is marked failed: every image an operator sees `failed` has its
  // job in the DLQ, ready to replay.
  await sendToDlq(ctx, message, attempt, final);
  const recorded = await failImageJob(ctx.db, job, final).catch((error: unknown) => {
    // Redelivered after the outage: the DLQ may then hold the job twice, never zero times.
    const outage = dependencyOutage(error);
    if (outage !== undefined) outage.attemptCounted = started || options.countAttempt === false;
    throw outage ?? error;
  });
  if (recorded) {
    // Not retried as a job (the failure is recorded and dead-lettered): kept until Redis confirms.
    await ctx.cache.invalidateLater(job.productId);
    await publishResult(ctx, job, correlationId, {
      variants: [],
      placeholder: null,
      failure: final,
    });
  }
  return 'failed';
}
