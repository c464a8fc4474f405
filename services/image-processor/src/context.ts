import { availableParallelism } from 'node:os';
import type { S3Client } from '@aws-sdk/client-s3';
import { type CacheKeys, cacheKeys, type Topics, topicNames } from '@zocket/contracts';
import { createDb, creditBulkOutage, type Db } from '@zocket/db';
import {
  createCacheRedis,
  createKafka,
  createS3Client,
  KafkaProbe,
  type Logger,
  PRODUCER_OPTIONS,
} from '@zocket/service-kit';
import type { Redis } from 'ioredis';
import type { Kafka, Producer } from 'kafkajs';
import { CacheInvalidator } from './cache/cache-invalidator.js';
import type { ProcessorConfig } from './config.js';
import { type Allowlist, parseAllowlist } from './fetch/safe-fetch.js';
import { createProcessorMetrics, type ProcessorMetrics } from './observability/metrics.js';
import { dependencyChecks } from './outage/dependency-checks.js';
import { markS3Outages } from './outage/dependency-outage.js';
import { OutageGate } from './outage/outage-gate.js';
import type { VariantProfile } from './pipeline/image-pipeline.js';
import { resolveProfile } from './pipeline/profile.js';
import type { RenderedImage } from './pipeline/rendered-image.js';
import { ScorePool } from './quality/score-pool.js';

/** Everything a job needs; built once by the composition root. */
export interface ProcessorContext {
  config: ProcessorConfig;
  logger: Logger;
  metrics: ProcessorMetrics;
  db: Db;
  redis: Redis;
  /** Cache invalidation after image writes, with failed ones kept until Redis is back. */
  cache: CacheInvalidator;
  s3: S3Client;
  kafka: Kafka;
  /** Readiness's Kafka check, over one kept connection. */
  kafkaProbe: KafkaProbe;
  producer: Producer;
  topics: Topics;
  cacheKeys: CacheKeys;
  profile: VariantProfile;
  /** Worker threads for the quality search's scores; none start while no profile has a target. */
  scoring: ScorePool;
  allowlist: Allowlist;
  /** Renders in progress in this process by `<sha256>:<profile>` (see pipeline/renditions.ts). */
  renderings: Map<string, Promise<RenderedImage>>;
  /** Pauses every lane while PostgreSQL, S3 or Redis is down, and resumes them when it answers. */
  outage: OutageGate;
}

export function createProcessorContext(config: ProcessorConfig, logger: Logger): ProcessorContext {
  const kafka = createKafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    // Longer: a job's result, retry or DLQ message must be produced before its offset commits.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
  const redis = createCacheRedis(config.redis.url, logger);
  const keys = cacheKeys(config.redis.keyPrefix);
  const metrics = createProcessorMetrics();
  const db = createDb({
    url: config.db.url,
    max: config.db.poolMax,
    applicationName: 'zocket-image-processor',
  });
  const s3 = createS3Client(config.s3);
  markS3Outages(s3);
  const outage = new OutageGate({
    probes: dependencyChecks({ db, redis, s3, config }),
    policy: config.outage,
    logger,
    metrics,
    // Bulk items waiting out the pause must not time out for it (the API's item timeout).
    ...(config.jobs.lanes.includes('bulk')
      ? { whilePaused: (since: Date) => creditBulkOutage(db, since).then(() => {}) }
      : {}),
  });
  return {
    config,
    logger,
    metrics,
    db,
    redis,
    cache: new CacheInvalidator(redis, keys, logger),
    s3,
    kafka,
    kafkaProbe: new KafkaProbe(kafka),
    producer: kafka.producer(PRODUCER_OPTIONS),
    topics: topicNames(config.kafka.topicPrefix),
    cacheKeys: keys,
    profile: resolveProfile(config.images.profile),
    scoring: new ScorePool(scoreThreads(config)),
    allowlist: parseAllowlist(config.fetch.allowlist),
    renderings: new Map(),
    outage,
  };
}

/**
 * One scorer thread per image this process can have in flight, at most one per core: each image
 * scores one variant at a time, so more threads would only wait.
 */
function scoreThreads(config: ProcessorConfig): number {
  const { lanes, concurrency, bulkConcurrency } = config.jobs;
  const inFlight =
    (lanes.includes('live') ? concurrency : 0) + (lanes.includes('bulk') ? bulkConcurrency : 0);
  return Math.max(1, Math.min(availableParallelism(), inFlight));
}
