import { readFileSync } from 'node:fs';
import { type Product, topicNames } from '@zocket/contracts';
import { createDb, type Db } from '@zocket/db';
import {
  createTestTopics,
  servicesToEnv,
  type TestServices,
  type TestTopics,
  testKeyPrefix,
  uniqueName,
  waitFor,
} from '@zocket/testkit';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import {
  freePort,
  migrateDatabase,
  type ServiceProcess,
  startService,
  waitHealthy,
} from './system.js';

const SECRET = 'outage-test-secret-0123456789abcdef';

/** Where the world's API and processor find S3 when it is not the shared one. */
export interface S3Target {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
}

/** A processor's /readyz answer. */
export interface Readiness {
  status: number;
  body: { consumer?: string; paused?: { dependency: string; overLimit: boolean }[] };
}

/**
 * The API and one image processor as processes, on a database and topics of their own, with S3
 * or PostgreSQL replaceable by a private server a test may stop: the ground for outage drills.
 */
export async function startOutageWorld(
  services: TestServices,
  options: { databaseUrl: string; s3?: S3Target; processorEnv?: NodeJS.ProcessEnv },
) {
  await migrateDatabase(options.databaseUrl);
  const prefix = `${uniqueName('zo')}.`;
  const topics: TestTopics = await createTestTopics(
    services,
    Object.values(topicNames(prefix)).map((name) => ({ name, partitions: 3 })),
    { uniqueNames: false },
  );
  const s3 = options.s3 ?? services.s3;
  const common = {
    ...servicesToEnv(services),
    DATABASE_URL: options.databaseUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_BUCKET: s3.bucket,
    S3_FORCE_PATH_STYLE: 'true',
    CACHE_KEY_PREFIX: testKeyPrefix('outage'),
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'info',
  };
  const apiPort = await freePort();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = startService('api-outage', 'services/api/dist/main.js', {
    ...common,
    PORT: String(apiPort),
    API_WORKERS: '1',
    AUTH_JWT_SECRET: SECRET,
    OUTBOX_POLL_INTERVAL_MS: '200',
    BULK_COMMANDS_GROUP_ID: uniqueName('outage-bulk-commands'),
  });
  const metricsPort = await freePort();
  const opsUrl = `http://127.0.0.1:${metricsPort}`;
  const processor = startService('processor-outage', 'services/image-processor/dist/main.js', {
    ...common,
    METRICS_PORT: String(metricsPort),
    KAFKA_GROUP_ID: uniqueName('outage-processors'),
    KAFKA_BULK_GROUP_ID: uniqueName('outage-processors-bulk'),
    PUBLIC_IMAGE_BASE_URL: `${s3.endpoint}/${s3.bucket}`,
    VARIANT_PROFILE_VERSION: uniqueName('out').toLowerCase().replace(/_/g, '-').slice(0, 32),
    PROCESSOR_CONCURRENCY: '2',
    // Short backoffs: without the outage pause, five attempts would be spent within 8 s.
    RETRY_BASE_DELAY_MS: '500',
    UV_THREADPOOL_SIZE: '8',
    ...options.processorEnv,
  });
  const processes: ServiceProcess[] = [api, processor];
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await topics.delete().catch(() => {});
  };
  try {
    await waitHealthy(`${apiUrl}/readyz`, api);
    await waitHealthy(`${opsUrl}/readyz`, processor);
  } catch (error) {
    await stop();
    throw error;
  }
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(`outage-seller-${prefix}`)
    .setIssuer('zocket-local')
    .setAudience('zocket-api')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
  let db: Db | undefined;

  return {
    api,
    processor,
    /** Creates `products` products with `perProduct` uploaded images each (distinct bytes). */
    async uploadImages(products: number, perProduct: number): Promise<string[]> {
      const ids: string[] = [];
      for (let p = 0; p < products; p += 1) {
        const created = await call<Product>(apiUrl, 'POST', '/products', token, {
          name: `Outage ${p}`,
          price: { amountMinor: 1000 + p, currency: 'EUR' },
        });
        const form = new FormData();
        for (let i = 0; i < perProduct; i += 1) {
          // Noise: every image has bytes of its own (no shared rendition) and takes real work.
          const jpeg = await sharp({
            create: {
              width: 560,
              height: 420,
              channels: 3,
              background: { r: (p * 40) % 255, g: (i * 25) % 255, b: 160 },
              noise: { type: 'gaussian', mean: 120, sigma: 30 },
            },
          })
            .jpeg({ quality: 85 })
            .toBuffer();
          form.append(
            'files',
            new Blob([new Uint8Array(jpeg)], { type: 'image/jpeg' }),
            `${i}.jpg`,
          );
        }
        const response = await fetch(`${apiUrl}/products/${created.id}/images`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: form,
        });
        if (response.status !== 200) {
          throw new Error(`upload answered ${response.status}: ${await response.text()}`);
        }
        ids.push(created.id);
      }
      return ids;
    },
    /** Every image of these products, read from PostgreSQL (the source of truth). */
    async images(productIds: string[]) {
      db ??= createDb({ url: options.databaseUrl, max: 2 });
      return db
        .selectFrom('product_images')
        .select(['id', 'status', 'attempts', 'last_error'])
        .where('product_id', 'in', productIds)
        .execute();
    },
    async readiness(): Promise<Readiness> {
      const response = await fetch(`${opsUrl}/readyz`);
      return { status: response.status, body: (await response.json()) as Readiness['body'] };
    },
    async metrics(): Promise<string> {
      return (await fetch(`${opsUrl}/metrics`)).text();
    },
    /** The processor's log lines (pino JSON) whose message matches. */
    logLines(message: RegExp): { msg: string; dependency?: string; level: number }[] {
      return readFileSync(processor.logFile, 'utf8')
        .split('\n')
        .flatMap((line) => {
          try {
            const parsed = JSON.parse(line) as { msg?: string; dependency?: string; level: number };
            return typeof parsed.msg === 'string' && message.test(parsed.msg)
              ? [{ ...parsed, msg: parsed.msg }]
              : [];
          } catch {
            return [];
          }
        });
    },
    waitFor,
    async stop() {
      await db?.destroy().catch(() => {});
      await stop();
    },
  };
}

async function call<T>(
  apiUrl: string,
  method: string,
  path: string,
  token: string,
  body: unknown,
): Promise<T> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) {
    throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  }
  return (await response.json()) as T;
}

export type OutageWorld = Awaited<ReturnType<typeof startOutageWorld>>;

/** What an outage drill saw, for the tests' assertions and the bench's figures. */
export interface DrillResult {
  total: number;
  /** Images not yet ready when the server was stopped. */
  notReadyAtStop: number;
  /** /readyz while the dependency was down (just after the pause, and at the end of the outage). */
  pausedReadiness: Readiness;
  lateReadiness: Readiness;
  images: { id: string; status: string; attempts: number; last_error: string | null }[];
  /** From the server's return to the last image done (ready or failed). */
  recoverySeconds: number;
  readyAgain: Readiness;
}

/**
 * Uploads `products` x `perProduct` images, stops `server` once processing has begun, keeps it
 * down for `outageMs`, starts it again and waits for every image to end.
 */
export async function outageDrill(
  world: OutageWorld,
  server: { stop(): Promise<void>; start(): Promise<void> },
  dependency: string,
  { products = 4, perProduct = 10, outageMs = 60_000 } = {},
): Promise<DrillResult> {
  const ids = await world.uploadImages(products, perProduct);
  const total = products * perProduct;
  await waitFor(
    async () => ((await world.images(ids)).some((i) => i.status === 'ready') ? true : undefined),
    { timeoutMs: 120_000, intervalMs: 100, what: 'the first image to be ready' },
  );
  const notReadyAtStop = (await world.images(ids)).filter((i) => i.status !== 'ready').length;
  await server.stop();
  const stoppedAt = Date.now();
  const pausedReadiness = await waitFor(
    async () => {
      const r = await world.readiness();
      return r.status === 503 && r.body.paused?.some((p) => p.dependency === dependency)
        ? r
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: `/readyz to name ${dependency} as paused` },
  );
  await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - stoppedAt))));
  const lateReadiness = await world.readiness();
  await server.start();
  const back = Date.now();
  const images = await waitFor(
    async () => {
      const rows = await world.images(ids).catch(() => undefined);
      return rows?.every((i) => i.status === 'ready' || i.status === 'failed') ? rows : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 250, what: 'every image to end after the outage' },
  );
  const recoverySeconds = (Date.now() - back) / 1000;
  const readyAgain = await waitFor(
    async () => {
      const r = await world.readiness();
      return r.status === 200 ? r : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, what: '/readyz to answer 200 again' },
  );
  return {
    total,
    notReadyAtStop,
    pausedReadiness,
    lateReadiness,
    images,
    recoverySeconds,
    readyAgain,
  };
}
