import { S3Client } from '@aws-sdk/client-s3';
import {
  CACHE_CLIENT_OPTIONS,
  type CacheKeys,
  cacheKeys,
  type Topics,
  topicNames,
} from '@zocket/contracts';
import { createDb, type Db } from '@zocket/db';
import { Redis } from 'ioredis';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { CacheInvalidator } from './cache-invalidator.js';
import type { ProcessorConfig } from './config.js';
import { DEFAULT_PROFILE, type VariantProfile } from './image-pipeline.js';
import type { Logger } from './observability/logger.js';
import { createProcessorMetrics, type ProcessorMetrics } from './observability/metrics.js';
import type { RenderedImage } from './renditions.js';
import { type Allowlist, parseAllowlist } from './safe-fetch.js';

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
  producer: Producer;
  topics: Topics;
  cacheKeys: CacheKeys;
  profile: VariantProfile;
  allowlist: Allowlist;
  /** Renders in progress in this process by `<sha256>:<profile>` (see renditions.ts). */
  renderings: Map<string, Promise<RenderedImage>>;
}

/** The variant profile: defaults from the pipeline, overridden field by field from config. */
export function resolveProfile(images: ProcessorConfig['images']['profile']): VariantProfile {
  const { overrides } = images;
  return {
    version: images.version,
    widths: images.widths,
    maxWidth: images.maxWidth,
    formats: images.formats,
    webp: {
      quality: overrides.webp.quality ?? DEFAULT_PROFILE.webp.quality,
      effort: overrides.webp.effort ?? DEFAULT_PROFILE.webp.effort,
    },
    avif: {
      quality: overrides.avif.quality ?? DEFAULT_PROFILE.avif.quality,
      effort: overrides.avif.effort ?? DEFAULT_PROFILE.avif.effort,
    },
  };
}

export function createProcessorContext(config: ProcessorConfig, logger: Logger): ProcessorContext {
  const kafka = new Kafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
  const redis = new Redis(config.redis.url, { ...CACHE_CLIENT_OPTIONS });
  redis.on('error', (error) => logger.debug({ err: error }, 'redis connection error'));
  const keys = cacheKeys(config.redis.keyPrefix);
  return {
    config,
    logger,
    metrics: createProcessorMetrics(),
    db: createDb({
      url: config.db.url,
      max: config.db.poolMax,
      applicationName: 'zocket-image-processor',
    }),
    redis,
    cache: new CacheInvalidator(redis, keys, logger),
    s3: new S3Client({
      endpoint: config.s3.endpoint,
      region: config.s3.region,
      forcePathStyle: config.s3.forcePathStyle,
      credentials: {
        accessKeyId: config.s3.accessKeyId,
        secretAccessKey: config.s3.secretAccessKey,
      },
    }),
    kafka,
    producer: kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    }),
    topics: topicNames(config.kafka.topicPrefix),
    cacheKeys: keys,
    profile: resolveProfile(config.images.profile),
    allowlist: parseAllowlist(config.fetch.allowlist),
    renderings: new Map(),
  };
}
