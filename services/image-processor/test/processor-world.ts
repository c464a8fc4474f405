import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  HEADERS,
  type ImageJobEventV1,
  type ImageResultEventV1,
  type ImageSource,
  imageJobEvent,
  parseImageResultEvent,
  type Topics,
  topicNames,
} from '@zocket/contracts';
import {
  createDb,
  type Db,
  ensureUser,
  findProduct,
  type ImageJobRef,
  insertProduct,
  migrateToLatest,
} from '@zocket/db';
import { createLogger } from '@zocket/service-kit';
import {
  createTestDatabase,
  createTestTopics,
  type KafkaRecord,
  servicesToEnv,
  type TestDatabase,
  type TestServices,
  type TestTopics,
  type TopicTap,
  tapTopic,
  testKeyPrefix,
  testLogLevel,
  testS3Client,
  testServices,
  uniqueName,
  waitFor,
} from '@zocket/testkit';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { loadConfig, type ProcessorConfig } from '../src/config.js';
import { createProcessor, type Processor } from '../src/service.js';

/** A loopback HTTP server whose routes the test sets; counts every request it receives. */
export interface ImageServer {
  url: (path: string) => string;
  route: (path: string, handler: (req: IncomingMessage, res: ServerResponse) => void) => void;
  serve: (path: string, body: Buffer, contentType: string) => void;
  requests: () => number;
  close: () => Promise<void>;
}

export async function startImageServer(): Promise<ImageServer> {
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  let count = 0;
  const server: Server = createServer((req, res) => {
    count += 1;
    const handler = routes.get(req.url ?? '');
    if (handler === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    route: (path, handler) => routes.set(path, handler),
    serve: (path, body, contentType) =>
      routes.set(path, (_req, res) => {
        res.writeHead(200, { 'content-type': contentType, 'content-length': body.length });
        res.end(body);
      }),
    requests: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ProcessorWorld {
  services: TestServices;
  db: Db;
  topics: Topics;
  kafka: Kafka;
  producer: Producer;
  s3: S3Client;
  env: NodeJS.ProcessEnv;
  cachePrefix: string;
  profileVersion: string;
  ownerId: string;
  /** Starts a processor with the world's environment plus overrides; stopped by `close()`. */
  startProcessor: (overrides?: NodeJS.ProcessEnv) => Promise<Processor>;
  /** Inserts a product with these image sources and returns its image jobs. */
  createProduct: (sources: ImageSource[]) => Promise<{ productId: string; jobs: ImageJobRef[] }>;
  /** Produces `image-jobs` events as an operator would (key = product id). */
  produceJobs: (jobs: ImageJobRef[], reason?: ImageJobEventV1['reason']) => Promise<void>;
  /** Collects events from a topic from the moment this is called. */
  collect: (topic: string) => Promise<{ messages: CollectedMessage[]; stop: () => Promise<void> }>;
  waitForImages: (
    productId: string,
    done: (statuses: string[]) => boolean,
    timeoutMs?: number,
  ) => Promise<NonNullable<Awaited<ReturnType<typeof findProduct>>>>;
  /** A counter's value in one processor, for the label set given. */
  metricOf: (processor: Processor, name: string, labels: Record<string, string>) => Promise<number>;
  /** The same counter summed over every processor of this world. */
  processorMetric: (name: string, labels: Record<string, string>) => Promise<number>;
  getObject: (
    key: string,
  ) => Promise<{ body: Buffer; contentType?: string; cacheControl?: string }>;
  close: () => Promise<void>;
}

/** A record collected from a topic (testkit's topic tap). */
export type CollectedMessage = KafkaRecord;

export function resultEvents(messages: CollectedMessage[]): ImageResultEventV1[] {
  return messages.flatMap((m) => {
    const parsed = parseImageResultEvent(m.value);
    return parsed.ok ? [parsed.value] : [];
  });
}

/** A world of its own for one test file: database, topics, cache prefix, S3 key prefix. */
export async function createProcessorWorld(
  options: { jobPartitions?: number } = {},
): Promise<ProcessorWorld> {
  const services = testServices();
  const database: TestDatabase = await createTestDatabase(services);
  const db = createDb({ url: database.url, max: 4 });
  await migrateToLatest(db);
  const prefix = `${uniqueName('zt')}.`;
  const topics = topicNames(prefix);
  const createdTopics: TestTopics = await createTestTopics(
    services,
    [
      { name: topics.imageJobs, partitions: options.jobPartitions ?? 3 },
      { name: topics.imageJobsRetry, partitions: 3 },
      { name: topics.imageJobsDlq, partitions: 1 },
      { name: topics.imageResults, partitions: 1 },
    ],
    { uniqueNames: false },
  );
  const kafka = new Kafka({
    clientId: 'processor-test',
    brokers: services.kafkaBrokers,
    logLevel: logLevel.NOTHING,
  });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const s3 = testS3Client(services.s3);
  const cachePrefix = testKeyPrefix('cache');
  // A unique profile version puts this file's variants under a key prefix of their own.
  const profileVersion = uniqueName('t').toLowerCase().replace(/_/g, '-').slice(0, 32);
  const env: NodeJS.ProcessEnv = {
    ...servicesToEnv(services),
    DATABASE_URL: database.url,
    CACHE_KEY_PREFIX: cachePrefix,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_GROUP_ID: uniqueName('processor'),
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
    VARIANT_PROFILE_VERSION: profileVersion,
    METRICS_PORT: '0',
    LOG_LEVEL: testLogLevel(),
    FETCH_ALLOWLIST: '127.0.0.1',
    FETCH_TIMEOUT_MS: '5000',
    FETCH_CONNECT_TIMEOUT_MS: '2000',
    RETRY_BASE_DELAY_MS: '200',
    RETRY_MAX_DELAY_MS: '2000',
    JOB_MAX_ATTEMPTS: '4',
    // Fast test profile: the same pipeline, cheaper encoder settings.
    AVIF_EFFORT: '0',
    WEBP_EFFORT: '0',
  };
  const ownerId = await ensureUser(db, `owner-${randomUUID()}`);
  const processors: Processor[] = [];
  const taps: TopicTap[] = [];

  const world: ProcessorWorld = {
    services,
    db,
    topics,
    kafka,
    producer,
    s3,
    env,
    cachePrefix,
    profileVersion,
    ownerId,
    async startProcessor(overrides = {}) {
      const config: ProcessorConfig = loadConfig({ ...env, ...overrides });
      const processor = createProcessor(
        config,
        createLogger('zocket-image-processor', config.log.level),
        (error) => {
          throw error;
        },
      );
      processors.push(processor);
      await processor.start();
      await waitFor(() => (processor.consumer.ready ? true : undefined), {
        timeoutMs: 30_000,
        what: 'the processor to join its group',
      });
      return processor;
    },
    async createProduct(sources) {
      const { product, jobs } = await insertProduct(db, {
        ownerId,
        name: `product ${randomUUID()}`,
        description: '',
        price: { amountMinor: 100, currency: 'EUR' },
        images: sources,
      });
      return { productId: product.id, jobs };
    },
    async produceJobs(jobs, reason) {
      await producer.send({
        topic: topics.imageJobs,
        acks: -1,
        messages: jobs.map((job) => ({
          key: job.productId,
          value: JSON.stringify(imageJobEvent(job, reason ?? 'reprocess')),
          headers: { [HEADERS.correlationId]: `test-${job.jobId}` },
        })),
      });
    },
    async collect(topic) {
      const tap = await tapTopic(services.kafkaBrokers, topic);
      taps.push(tap);
      return { messages: tap.records, stop: tap.stop };
    },
    async waitForImages(productId, done, timeoutMs = 60_000) {
      return waitFor(
        async () => {
          const product = await findProduct(db, productId);
          return product !== undefined && done(product.images.map((i) => i.status))
            ? product
            : undefined;
        },
        { timeoutMs, intervalMs: 150, what: `images of ${productId} to settle` },
      );
    },
    metricOf,
    async processorMetric(name, labels) {
      const values = await Promise.all(processors.map((p) => metricOf(p, name, labels)));
      return values.reduce((a, b) => a + b, 0);
    },
    async getObject(key) {
      const object = await s3.send(new GetObjectCommand({ Bucket: services.s3.bucket, Key: key }));
      const bytes = await object.Body?.transformToByteArray();
      return {
        body: Buffer.from(bytes ?? []),
        ...(object.ContentType === undefined ? {} : { contentType: object.ContentType }),
        ...(object.CacheControl === undefined ? {} : { cacheControl: object.CacheControl }),
      };
    },
    async close() {
      await Promise.all(processors.map((p) => p.stop()));
      await Promise.all(taps.map((t) => t.stop()));
      await producer.disconnect();
      s3.destroy();
      await db.destroy();
      await createdTopics.delete().catch(() => {});
      await database.drop();
    },
  };
  return world;
}

async function metricOf(processor: Processor, name: string, labels: Record<string, string>) {
  const metric = processor.ctx.metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value))
    .reduce((sum, v) => sum + v.value, 0);
}

export const allSettled = (statuses: string[]) =>
  statuses.length > 0 && statuses.every((s) => s === 'ready' || s === 'failed');
