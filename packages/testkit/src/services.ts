import { S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';

/** Addresses of the real services a test run talks to. */
export interface TestServices {
  /** Where they came from: the environment, testcontainers, or infra/local/up. */
  origin: 'env' | 'testcontainers' | 'infra-local';
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  s3: {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
    bucket: string;
    forcePathStyle: boolean;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/** The services resolved by the global setup (call inside a test file). */
export function testServices(): TestServices {
  return inject('services');
}

/**
 * The service variables a Zocket process reads, pointing at `services` (the inverse of
 * servicesFromEnv); callers override what differs, such as a test's own database.
 */
export function servicesToEnv(services: TestServices): Record<string, string> {
  return {
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    KAFKA_BROKERS: services.kafkaBrokers.join(','),
    S3_ENDPOINT: services.s3.endpoint,
    S3_REGION: services.s3.region,
    S3_ACCESS_KEY_ID: services.s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
    S3_BUCKET: services.s3.bucket,
    S3_FORCE_PATH_STYLE: String(services.s3.forcePathStyle),
  };
}

/** Reads the services from environment variables, or undefined if any is missing. */
export function servicesFromEnv(env: NodeJS.ProcessEnv): TestServices | undefined {
  const required = [
    'DATABASE_URL',
    'REDIS_URL',
    'KAFKA_BROKERS',
    'S3_ENDPOINT',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'S3_BUCKET',
  ] as const;
  if (required.some((name) => !env[name])) return undefined;
  return {
    origin: 'env',
    databaseUrl: env.DATABASE_URL as string,
    redisUrl: env.REDIS_URL as string,
    kafkaBrokers: (env.KAFKA_BROKERS as string).split(',').map((b) => b.trim()),
    s3: {
      endpoint: env.S3_ENDPOINT as string,
      region: env.S3_REGION ?? 'us-east-1',
      accessKeyId: env.S3_ACCESS_KEY_ID as string,
      secretAccessKey: env.S3_SECRET_ACCESS_KEY as string,
      bucket: env.S3_BUCKET as string,
      forcePathStyle: env.S3_FORCE_PATH_STYLE !== 'false' && env.S3_FORCE_PATH_STYLE !== '0',
    },
  };
}

/** Parses the `export NAME=value` lines printed by infra/local/up. */
export function parseExports(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1] as string] = (match[2] as string).replace(/^['"]|['"]$/g, '');
  }
  return env;
}

/** An S3 client for the test services' server (callers destroy it). */
export function testS3Client(s3: TestServices['s3']): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}
