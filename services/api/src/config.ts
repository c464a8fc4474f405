import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { envBool, envCsv, envInt, parseEnv, s3Settings, sharedEnvShape } from '@zocket/service-kit';
import { z } from 'zod';

const MiB = 1024 * 1024;

/** Flat environment, every variable with a default that works with infra/local (its keys are the
 * names deploy/k8s may set: tests/deploy checks them). */
export const envSchema = z.object({
  ...sharedEnvShape,
  PORT: envInt(0).max(65535).default(8080),
  API_WORKERS: envInt(1).max(64).optional(),
  DATABASE_POOL_MAX: envInt(1).default(10),
  CACHE_TTL_SECONDS: envInt(1).default(300),
  CACHE_ENABLED: envBool.default(true),
  KAFKA_CLIENT_ID: z.string().default('zocket-api'),
  OUTBOX_BATCH_SIZE: envInt(1).max(1000).default(100),
  OUTBOX_POLL_INTERVAL_MS: envInt(10).default(1000),
  OUTBOX_RETENTION_SECONDS: envInt(60).default(86_400),
  AUTH_JWT_SECRET: z.string().optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_ISSUER: z.string().default('zocket-local'),
  AUTH_AUDIENCE: z.string().default('zocket-api'),
  CORS_ORIGINS: envCsv.default(['http://localhost:3000']),
  BODY_LIMIT_BYTES: envInt(1024).default(MiB),
  UPLOAD_MAX_FILE_BYTES: envInt(1024).default(10 * MiB),
  UPLOAD_MAX_FILES: envInt(1).max(20).default(10),
  UPLOAD_MAX_REQUEST_BYTES: envInt(1024).default(50 * MiB),
  SHUTDOWN_TIMEOUT_MS: envInt(0).default(10_000),
  TRPC_MAX_BATCH_SIZE: envInt(1).max(1000).default(10),
  S3_PUBLIC_ENDPOINT: z.url().optional(),
  /** Hosts, IPs and CIDRs image URLs may name although not public (the processor's own list). */
  FETCH_ALLOWLIST: z.string().default(''),
  UPLOAD_URL_TTL_SECONDS: envInt(1)
    .max(7 * 24 * 3600)
    .default(600),
  UPLOAD_MAX_PENDING_PER_USER: envInt(1).default(20),
  UPLOAD_JANITOR_INTERVAL_MS: envInt(100).default(60_000),
  LIVE_POLL_INTERVAL_MS: envInt(50).default(5_000),
  LIVE_MAX_DURATION_MS: envInt(1_000).default(15 * 60_000),
  LIVE_MAX_SUBSCRIPTIONS: envInt(1).default(10_000),
  LIVE_MAX_SUBSCRIPTIONS_PER_USER: envInt(1).default(20),
  LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION: envInt(1).default(20),
  LIVE_TOMBSTONE_RETENTION_SECONDS: envInt(60).default(86_400),
  BULK_DISPATCHER_ENABLED: envBool.default(true),
  BULK_TICK_MS: envInt(10).default(500),
  BULK_PAGE_SIZE: envInt(1).max(1000).default(100),
  BULK_YIELD_LIVE_LAG: envInt(0).default(20),
  BULK_LIVE_GROUP_ID: z.string().default('zocket-image-processor'),
  BULK_ITEM_TIMEOUT_SECONDS: envInt(1).default(7_200),
  BULK_COMMANDS_ENABLED: envBool.default(true),
  BULK_COMMANDS_GROUP_ID: z.string().default('zocket-api-bulk-commands'),
  CONSOLE_DIR: z.string().min(1).optional(),
  STOREFRONT_DIR: z.string().min(1).optional(),
});

/** The console's build (`apps/console/dist`), found from this file in `services/api/{src,dist}`. */
const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../apps/console/dist', import.meta.url));
/** The storefront's build (`apps/storefront/dist`), found the same way. */
const DEFAULT_STOREFRONT_DIR = fileURLToPath(
  new URL('../../../apps/storefront/dist', import.meta.url),
);

/** The default HS256 secret is for local development only; production sets a secret or JWKS. */
export const DEV_JWT_SECRET = 'zocket-local-development-secret-change-me';

export function loadConfig(env: NodeJS.ProcessEnv) {
  const e = parseEnv(envSchema, env);
  if (
    env.NODE_ENV === 'production' &&
    e.AUTH_JWKS_URL === undefined &&
    (e.AUTH_JWT_SECRET === undefined || e.AUTH_JWT_SECRET === DEV_JWT_SECRET)
  ) {
    // The development secret is in this repository: anyone could sign tokens for any seller.
    throw new Error(
      'invalid configuration:\n✖ NODE_ENV is production: set AUTH_JWT_SECRET (not the development default) or AUTH_JWKS_URL',
    );
  }
  return {
    http: {
      host: e.HOST,
      port: e.PORT,
      corsOrigins: e.CORS_ORIGINS,
      bodyLimitBytes: e.BODY_LIMIT_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      trpcMaxBatchSize: e.TRPC_MAX_BATCH_SIZE,
      /** HTTP server processes sharing the port (node:cluster); 1 runs in this process. */
      workers: e.API_WORKERS ?? availableParallelism(),
    },
    log: { level: e.LOG_LEVEL },
    db: { url: e.DATABASE_URL, poolMax: e.DATABASE_POOL_MAX },
    redis: {
      url: e.REDIS_URL,
      keyPrefix: e.CACHE_KEY_PREFIX,
      ttlSeconds: e.CACHE_TTL_SECONDS,
      cacheEnabled: e.CACHE_ENABLED,
    },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
    },
    outbox: {
      batchSize: e.OUTBOX_BATCH_SIZE,
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      retentionSeconds: e.OUTBOX_RETENTION_SECONDS,
    },
    bulk: {
      dispatcherEnabled: e.BULK_DISPATCHER_ENABLED,
      tickMs: e.BULK_TICK_MS,
      pageSize: e.BULK_PAGE_SIZE,
      yieldLiveLag: e.BULK_YIELD_LIVE_LAG,
      liveGroupId: e.BULK_LIVE_GROUP_ID,
      itemTimeoutSeconds: e.BULK_ITEM_TIMEOUT_SECONDS,
      commandsEnabled: e.BULK_COMMANDS_ENABLED,
      commandsGroupId: e.BULK_COMMANDS_GROUP_ID,
    },
    s3: s3Settings(e),
    auth: {
      jwtSecret:
        e.AUTH_JWKS_URL === undefined ? (e.AUTH_JWT_SECRET ?? DEV_JWT_SECRET) : e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
      /** `POST /dev/token` mints tokens for anyone: never in production, never with a JWKS. */
      devTokens: env.NODE_ENV !== 'production' && e.AUTH_JWKS_URL === undefined,
    },
    console: { dir: e.CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR },
    storefront: { dir: e.STOREFRONT_DIR ?? DEFAULT_STOREFRONT_DIR },
    images: { urlAllowlist: e.FETCH_ALLOWLIST },
    uploads: {
      maxFileBytes: e.UPLOAD_MAX_FILE_BYTES,
      maxFiles: e.UPLOAD_MAX_FILES,
      maxRequestBytes: e.UPLOAD_MAX_REQUEST_BYTES,
      publicEndpoint: e.S3_PUBLIC_ENDPOINT ?? e.S3_ENDPOINT,
      urlTtlSeconds: e.UPLOAD_URL_TTL_SECONDS,
      maxPendingPerUser: e.UPLOAD_MAX_PENDING_PER_USER,
      janitorIntervalMs: e.UPLOAD_JANITOR_INTERVAL_MS,
    },
    live: {
      pollIntervalMs: e.LIVE_POLL_INTERVAL_MS,
      maxDurationMs: e.LIVE_MAX_DURATION_MS,
      maxSubscriptions: e.LIVE_MAX_SUBSCRIPTIONS,
      maxPerUser: e.LIVE_MAX_SUBSCRIPTIONS_PER_USER,
      maxPerConnection: e.LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      tombstoneRetentionSeconds: e.LIVE_TOMBSTONE_RETENTION_SECONDS,
    },
  };
}

export type ApiConfig = ReturnType<typeof loadConfig>;
