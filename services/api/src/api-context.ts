import type { S3Client } from '@aws-sdk/client-s3';
import { cacheKeys, type Topics, topicNames } from '@zocket/contracts';
import { createDb, type Db } from '@zocket/db';
import {
  type Allowlist,
  createCacheRedis,
  createKafka,
  createS3Client,
  KafkaProbe,
  type Logger,
  parseAllowlist,
} from '@zocket/service-kit';
import type { Redis } from 'ioredis';
import type { Kafka } from 'kafkajs';
import { type Authenticator, createAuthenticator } from './auth/authenticator.js';
import { ProductCache } from './cache/product-cache.js';
import type { ApiConfig } from './config.js';
import { ChangeHub } from './live/change-hub.js';
import { LiveStreams } from './live/live-streams.js';
import { ProductFeeds } from './live/product-feeds.js';
import { SubscriptionLimits } from './live/subscription-limits.js';
import { type ApiMetrics, createApiMetrics } from './observability/metrics.js';
import { createUploadPresigner, type UploadPresigner } from './uploads/presign.js';

/** Everything a request or background task needs; built once by the composition root. */
export interface ApiContext {
  config: ApiConfig;
  logger: Logger;
  metrics: ApiMetrics;
  db: Db;
  redis: Redis;
  cache: ProductCache;
  kafka: Kafka;
  /** The readiness view's Kafka check, over one kept connection. */
  kafkaProbe: KafkaProbe;
  topics: Topics;
  s3: S3Client;
  authenticate: Authenticator;
  presigner: UploadPresigner;
  /** Private hosts image URLs may name anyway (`FETCH_ALLOWLIST`), parsed once: a typo fails at boot. */
  imageUrlAllowlist: Allowlist;
  live: {
    hub: ChangeHub;
    limits: SubscriptionLimits;
    streams: LiveStreams;
    /** One fan-out per watched product, shared by its direct streams. */
    feeds: ProductFeeds;
    /** Aborted first on shutdown: subscriptions end and their clients resume elsewhere. */
    shutdown: AbortSignal;
    stop(): void;
  };
}

export function createApiContext(config: ApiConfig, logger: Logger): ApiContext {
  const metrics = createApiMetrics();
  const db = createDb({
    url: config.db.url,
    max: config.db.poolMax,
    applicationName: 'zocket-api',
  });
  const redis = createCacheRedis(config.redis.url, logger, { autoPipelining: true });
  const kafka = createKafka({
    clientId: config.kafka.clientId,
    brokers: config.kafka.brokers,
    // Short: the outbox relay backs off on its own and its rows wait in PostgreSQL; /readyz must answer fast.
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000 },
  });
  const s3 = createS3Client(config.s3);
  const shutdown = new AbortController();
  const streams = new LiveStreams(config.live.maxDurationMs);
  const hub = new ChangeHub(
    config.redis.url,
    cacheKeys(config.redis.keyPrefix).productChanges,
    db,
    config.live.pollIntervalMs,
    metrics,
    logger,
  );
  return {
    config,
    imageUrlAllowlist: parseAllowlist(config.images.urlAllowlist),
    logger,
    metrics,
    db,
    redis,
    cache: new ProductCache(
      redis,
      cacheKeys(config.redis.keyPrefix),
      config.redis.ttlSeconds,
      metrics,
      logger,
    ),
    kafka,
    kafkaProbe: new KafkaProbe(kafka),
    topics: topicNames(config.kafka.topicPrefix),
    s3,
    authenticate: createAuthenticator(config.auth),
    presigner: createUploadPresigner(config),
    live: {
      hub,
      limits: new SubscriptionLimits({
        maxTotal: config.live.maxSubscriptions,
        maxPerUser: config.live.maxPerUser,
        maxPerConnection: config.live.maxPerConnection,
      }),
      streams,
      feeds: new ProductFeeds(hub, db, logger),
      shutdown: shutdown.signal,
      stop() {
        shutdown.abort();
        streams.closeAll();
        hub.stop();
      },
    },
  };
}
