import { availableParallelism } from 'node:os';
import { envBool, envCsv, envInt, parseEnv, s3Settings, sharedEnvShape } from '@zocket/service-kit';
import { z } from 'zod';

const MiB = 1024 * 1024;

/** Flat environment, every variable with a default that works with infra/local. */
const envSchema = z.object({
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
});

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
    s3: s3Settings(e),
    auth: {
      jwtSecret:
        e.AUTH_JWKS_URL === undefined ? (e.AUTH_JWT_SECRET ?? DEV_JWT_SECRET) : e.AUTH_JWT_SECRET,
      jwksUrl: e.AUTH_JWKS_URL,
      issuer: e.AUTH_ISSUER,
      audience: e.AUTH_AUDIENCE,
    },
    uploads: {
      maxFileBytes: e.UPLOAD_MAX_FILE_BYTES,
      maxFiles: e.UPLOAD_MAX_FILES,
      maxRequestBytes: e.UPLOAD_MAX_REQUEST_BYTES,
    },
  };
}

export type ApiConfig = ReturnType<typeof loadConfig>;
