import { imageFormatSchema } from '@zocket/contracts';
import { envBool, envCsv, envInt, parseEnv, s3Settings, sharedEnvShape } from '@zocket/service-kit';
import { z } from 'zod';

const MiB = 1024 * 1024;
/** An SSIMULACRA2 score to reach (1-99; 70 is "high quality"). */
const qualityTarget = z.coerce.number().min(1).max(99).optional();

/** The default profile's version ("fast pass": fixed qualities, no quality target). */
const DEFAULT_PROFILE_VERSION = 'v2';
/** Versions that name fixed settings (see pipeline/image-pipeline.ts): a search needs its own. */
const FIXED_PROFILE_VERSIONS = ['v1', 'v2'];

/** Flat environment, every variable with a default that works with infra/local (its keys are the
 * names deploy/k8s may set: tests/deploy checks them). */
export const envSchema = z.object({
  ...sharedEnvShape,
  METRICS_PORT: envInt(0).max(65535).default(8081),
  DATABASE_POOL_MAX: envInt(1).default(5),
  KAFKA_CLIENT_ID: z.string().default('zocket-image-processor'),
  KAFKA_GROUP_ID: z.string().default('zocket-image-processor'),
  // How long the group waits for a member that died (kill -9, lost host) before moving its
  // partitions: every job on them stalls that long. The broker's floor: a member heartbeats every
  // third of it, during jobs too, and a saturated machine did not delay that into an eviction
  // (docs/performance.md, Processor faults and memory).
  KAFKA_SESSION_TIMEOUT_MS: envInt(6_000).default(6_000),
  S3_PUBLIC_READ_ACL: envBool.default(true),
  PUBLIC_IMAGE_BASE_URL: z.url().default('http://127.0.0.1:9000/zocket'),
  PROCESSOR_CONCURRENCY: envInt(1).max(64).default(2),
  PROCESSOR_LANES: envCsv.pipe(z.array(z.enum(['live', 'bulk'])).min(1)).default(['live', 'bulk']),
  BULK_CONCURRENCY: envInt(1).max(64).default(1),
  KAFKA_BULK_GROUP_ID: z.string().default('zocket-image-processor-bulk'),
  SHARP_THREADS: envInt(1).max(64).default(1),
  // Read by libuv itself at start; here only to warn when it is too small for the settings above.
  UV_THREADPOOL_SIZE: envInt(1).default(4),
  JOB_TIMEOUT_MS: envInt(1_000).default(120_000),
  JOB_MAX_ATTEMPTS: envInt(1).max(100).default(5),
  RETRY_BASE_DELAY_MS: envInt(0).default(2_000),
  RETRY_MAX_DELAY_MS: envInt(0).default(300_000),
  IMAGE_MAX_PIXELS: envInt(1).default(50_000_000),
  FETCH_MAX_BYTES: envInt(1024).default(25 * MiB),
  FETCH_CONNECT_TIMEOUT_MS: envInt(100).default(5_000),
  FETCH_TIMEOUT_MS: envInt(100).default(30_000),
  FETCH_ALLOWLIST: z.string().default(''),
  VARIANT_PROFILE_VERSION: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, { error: 'must be a short lowercase slug, e.g. v1' })
    .default(DEFAULT_PROFILE_VERSION),
  VARIANT_WIDTHS: envCsv
    .pipe(z.array(z.string().transform(Number).pipe(z.number().int().min(16).max(8192))).min(1))
    .default([320, 640, 1280]),
  VARIANT_MAX_WIDTH: envInt(16).max(8192).default(2048),
  VARIANT_FORMATS: envCsv.pipe(z.array(imageFormatSchema).min(1)).default(['webp', 'avif']),
  WEBP_QUALITY: envInt(1).max(100).optional(),
  WEBP_EFFORT: envInt(0).max(6).optional(),
  AVIF_QUALITY: envInt(1).max(100).optional(),
  AVIF_EFFORT: envInt(0).max(9).optional(),
  // Unset: fixed qualities. Set: each image's WebP and AVIF quality is searched (at most a few
  // encodes per format) to reach this SSIMULACRA2 score; pair it with a new VARIANT_PROFILE_VERSION.
  // The per-format names override it for one format (and turn the search on for that format alone).
  QUALITY_TARGET: qualityTarget,
  QUALITY_TARGET_WEBP: qualityTarget,
  QUALITY_TARGET_AVIF: qualityTarget,
  SHUTDOWN_TIMEOUT_MS: envInt(0).default(30_000),
  // While PostgreSQL, S3 or Redis is down, consuming pauses and the dependency is probed with a
  // doubling delay capped here: the resume lags its return by at most this, for one cheap request.
  OUTAGE_PROBE_MAX_DELAY_MS: envInt(100).default(5_000),
  // Past this a pause is an incident (error log, over-limit gauge), not a blip: longer than a
  // rolling restart or a managed database failover take. Consuming still waits; jobs never fail.
  OUTAGE_ALERT_AFTER_MS: envInt(1_000).default(300_000),
});

export function loadConfig(env: NodeJS.ProcessEnv) {
  const e = parseEnv(envSchema, env);
  const searched = [e.QUALITY_TARGET, e.QUALITY_TARGET_WEBP, e.QUALITY_TARGET_AVIF].some(
    (target) => target !== undefined,
  );
  if (searched && FIXED_PROFILE_VERSIONS.includes(e.VARIANT_PROFILE_VERSION)) {
    // Renditions and S3 keys are per profile version: under a fixed profile's version, a
    // searched image would reuse fixed-quality renditions, and new bytes would land under keys
    // served as immutable.
    throw new Error(
      `invalid configuration:\n✖ a quality target (QUALITY_TARGET*) changes every variant: set VARIANT_PROFILE_VERSION to a version of its own, not a fixed profile's (${FIXED_PROFILE_VERSIONS.join(', ')}; e.g. v3)\n  → at VARIANT_PROFILE_VERSION`,
    );
  }
  return {
    http: { host: e.HOST, port: e.METRICS_PORT },
    log: { level: e.LOG_LEVEL },
    db: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX },
    redis: { url: e.REDIS_URL, keyPrefix: e.CACHE_KEY_PREFIX },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      groupId: e.KAFKA_GROUP_ID,
      bulkGroupId: e.KAFKA_BULK_GROUP_ID,
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
    },
    s3: {
      ...s3Settings(e),
      publicReadAcl: e.S3_PUBLIC_READ_ACL,
      publicBaseUrl: e.PUBLIC_IMAGE_BASE_URL.replace(/\/+$/, ''),
    },
    jobs: {
      concurrency: e.PROCESSOR_CONCURRENCY,
      lanes: [...new Set(e.PROCESSOR_LANES)],
      bulkConcurrency: e.BULK_CONCURRENCY,
      sharpThreads: e.SHARP_THREADS,
      uvThreadpoolSize: e.UV_THREADPOOL_SIZE,
      timeoutMs: e.JOB_TIMEOUT_MS,
      maxAttempts: e.JOB_MAX_ATTEMPTS,
      retryBaseDelayMs: e.RETRY_BASE_DELAY_MS,
      retryMaxDelayMs: e.RETRY_MAX_DELAY_MS,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    },
    outage: {
      probeBaseDelayMs: Math.min(500, e.OUTAGE_PROBE_MAX_DELAY_MS),
      probeMaxDelayMs: e.OUTAGE_PROBE_MAX_DELAY_MS,
      alertAfterMs: e.OUTAGE_ALERT_AFTER_MS,
    },
    images: {
      maxPixels: e.IMAGE_MAX_PIXELS,
      profile: {
        version: e.VARIANT_PROFILE_VERSION,
        widths: e.VARIANT_WIDTHS,
        maxWidth: e.VARIANT_MAX_WIDTH,
        formats: e.VARIANT_FORMATS,
        overrides: {
          webp: { quality: e.WEBP_QUALITY, effort: e.WEBP_EFFORT },
          avif: { quality: e.AVIF_QUALITY, effort: e.AVIF_EFFORT },
        },
        qualityTargets: {
          webp: e.QUALITY_TARGET_WEBP ?? e.QUALITY_TARGET,
          avif: e.QUALITY_TARGET_AVIF ?? e.QUALITY_TARGET,
        },
      },
    },
    fetch: {
      maxBytes: e.FETCH_MAX_BYTES,
      connectTimeoutMs: e.FETCH_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: e.FETCH_TIMEOUT_MS,
      allowlist: e.FETCH_ALLOWLIST,
    },
  };
}

export type ProcessorConfig = ReturnType<typeof loadConfig>;
