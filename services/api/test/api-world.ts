import { randomBytes } from 'node:crypto';
import { type Product, type Topics, topicNames } from '@zocket/contracts';
import { createDb, migrateToLatest } from '@zocket/db';
import { createLogger } from '@zocket/service-kit';
import {
  createTestDatabase,
  createTestTopics,
  servicesToEnv,
  type TestDatabase,
  type TestServices,
  type TestTopics,
  type TopicTap,
  tapTopic,
  testKeyPrefix,
  testServices,
  uniqueName,
  waitFor,
} from '@zocket/testkit';
import { Redis } from 'ioredis';
import { type Api, createApi } from '../src/api.js';
import { signDevToken } from '../src/auth/sign-token.js';
import { type ApiConfig, loadConfig } from '../src/config.js';

/*
 * One isolated API per test file: its own database, topic prefix and cache key prefix, a real
 * HTTP port, and helpers to call it in-process (`app.request`) or over the network.
 */

/** A parsed response body: tests assert on its fields directly. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions themselves
export type Json = any;

export interface ApiWorld extends AsyncDisposable {
  services: TestServices;
  config: ApiConfig;
  api: Api;
  topics: Topics;
  cachePrefix: string;
  /** `http://127.0.0.1:<port>` of the real server. */
  baseUrl: string;
  /** A Redis client of the test's own (to inspect keys). */
  redis: Redis;
  /** A valid token for `subject`. */
  token(subject: string, options?: { ttlSeconds?: number; name?: string }): Promise<string>;
  /** In-process request through the Hono app. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** In-process JSON request with an optional bearer token. */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  /** Creates a product through REST and returns it (fails the test unless 200). */
  createProduct(token: string, input?: Partial<CreateBody>): Promise<Product>;
  /** Starts reading a topic from the beginning with a fresh consumer group. */
  tapTopic(topic: string): Promise<TopicTap>;
  close(): Promise<void>;
}

export interface CreateBody {
  name: string;
  description: string;
  price: { amountMinor: number; currency: string };
  imageUrls: string[];
}

export interface WorldOptions {
  /** Extra environment variables (limits, REDIS_URL through a proxy, ...). */
  env?: Record<string, string>;
  /** Brokers to use instead of the shared ones (e.g. a dedicated broker). */
  kafkaBrokers?: string[];
}

export async function createApiWorld(options: WorldOptions = {}): Promise<ApiWorld> {
  const services = testServices();
  const database: TestDatabase = await createTestDatabase(services);
  const migrator = createDb({ url: database.url, max: 1 });
  try {
    await migrateToLatest(migrator);
  } finally {
    await migrator.destroy();
  }

  const topicPrefix = `${uniqueName('zt')}.`;
  const topics = topicNames(topicPrefix);
  const brokers = options.kafkaBrokers ?? services.kafkaBrokers;
  const createdTopics: TestTopics = await createTestTopics(
    { ...services, kafkaBrokers: brokers },
    Object.values(topics).map((name) => ({ name, partitions: 3 })),
    { uniqueNames: false },
  );
  const cachePrefix = testKeyPrefix('api');

  const env: NodeJS.ProcessEnv = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    ...servicesToEnv(services),
    DATABASE_URL: database.url,
    DATABASE_POOL_MAX: '20',
    CACHE_KEY_PREFIX: cachePrefix,
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_CLIENT_ID: uniqueName('zt-api'),
    KAFKA_TOPIC_PREFIX: topicPrefix,
    OUTBOX_POLL_INTERVAL_MS: '100',
    CORS_ORIGINS: 'https://shop.example.com',
    SHUTDOWN_TIMEOUT_MS: '2000',
    ...options.env,
  };
  const config = loadConfig(env);
  const api = createApi(config, createLogger('zocket-api', 'silent'));
  await api.start();
  const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const baseUrl = `http://127.0.0.1:${api.port()}`;
  const taps: TopicTap[] = [];

  const request = async (path: string, init?: RequestInit) => api.httpApp.request(path, init);

  const call: ApiWorld['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    }
    const response = await request(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      // not JSON: keep the text so the assertion shows it
    }
    return { status: response.status, body: parsed, headers: response.headers };
  };

  const tap = async (topic: string): Promise<TopicTap> => {
    const t = await tapTopic(brokers, topic);
    taps.push(t);
    return t;
  };

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.allSettled(taps.map((t) => t.stop()));
      await api.stop();
      const keys = await redis.keys(`${cachePrefix}:*`).catch(() => [] as string[]);
      if (keys.length > 0) await redis.del(...keys).catch(() => 0);
      redis.disconnect();
      await createdTopics.delete().catch(() => {});
      await database.drop();
    })();
    return closing;
  };

  return {
    services,
    config,
    api,
    topics,
    cachePrefix,
    baseUrl,
    redis,
    token: (subject, o = {}) =>
      signDevToken({
        secret: config.auth.jwtSecret as string,
        issuer: config.auth.issuer,
        audience: config.auth.audience,
        subject,
        ...(o.name === undefined ? {} : { name: o.name }),
        ...(o.ttlSeconds === undefined ? {} : { ttlSeconds: o.ttlSeconds }),
      }),
    request,
    call,
    async createProduct(token, input = {}) {
      const res = await call('POST', '/products', {
        token,
        body: {
          name: 'Enamel mug',
          description: 'Holds coffee',
          price: { amountMinor: 1999, currency: 'EUR' },
          imageUrls: [],
          ...input,
        },
      });
      if (res.status !== 200) {
        throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
      }
      return res.body as Product;
    },
    tapTopic: tap,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** A fresh token subject. */
export function newSubject(label = 'user'): string {
  return uniqueName(label);
}

/** A minimal baseline JPEG header (SOI + JFIF APP0) followed by random bytes: sniffed as jpeg. */
export function jpegLike(): Buffer {
  return Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
    Buffer.from('JFIF\0', 'latin1'),
    randomBytes(64),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A multipart body with one `files` part per buffer (and optional extra text fields). */
export function filesForm(
  files: readonly { name: string; bytes: Uint8Array; type?: string }[],
  fields: Record<string, string> = {},
): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) {
    form.append(
      'files',
      new Blob([new Uint8Array(f.bytes)], { type: f.type ?? 'application/octet-stream' }),
      f.name,
    );
  }
  return form;
}

/** Every error body must have this shape and never carry a stack trace. */
export function expectNoStack(body: unknown): void {
  const text = JSON.stringify(body);
  if (/\bat .+\(.+:\d+:\d+\)|node_modules|\.ts:\d+|\.js:\d+/.test(text)) {
    throw new Error(`error body leaks a stack trace: ${text}`);
  }
}

export { uniqueName, waitFor };
