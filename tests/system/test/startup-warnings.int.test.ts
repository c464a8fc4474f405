import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { API_NODE_FLAGS } from '@zocket/api';
import { type Product, topicNames } from '@zocket/contracts';
import {
  createTestTopics,
  servicesToEnv,
  type TestDatabase,
  type TestTopics,
  testKeyPrefix,
  testServices,
  uniqueName,
  waitFor,
} from '@zocket/testkit';
import { SignJWT } from 'jose';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMigratedDatabase,
  freePort,
  type ServiceProcess,
  startService,
  waitHealthy,
} from '../src/system.js';

const SECRET = 'warnings-test-secret-0123456789abcdef';
// As the images' CMDs start them: the telemetry bootstrap first (idle without an endpoint).
const REGISTER = ['--import', '@zocket/telemetry/register'];

/** What Node and the libraries print on stderr about the runtime or a deprecation. */
function warningLines(logFile: string): string[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) =>
      /\bWarning\b:|\(node:\d+\)|DeprecationWarning|ExperimentalWarning/.test(line),
    );
}

/**
 * The built services start, work and stop on the project's Node without a single runtime warning
 * (an end-of-life Node makes the AWS SDK print one at every start, a deprecated API makes Node
 * print one): a warning in production logs is either noise people learn to ignore or a real
 * problem hidden among the noise.
 */
describe('the built API and image processor on the project runtime', () => {
  const services = testServices();
  const prefix = `${uniqueName('zw')}.`;
  let database: TestDatabase;
  let topics: TestTopics;
  let imageServer: Server;
  let imageUrl: string;
  let api: ServiceProcess;
  let processor: ServiceProcess;
  let apiUrl: string;
  let apiExit: number | null;
  let processorExit: number | null;

  beforeAll(async () => {
    database = await createMigratedDatabase(services);
    topics = await createTestTopics(
      services,
      Object.values(topicNames(prefix)).map((name) => ({ name, partitions: 1 })),
      { uniqueNames: false },
    );
    const jpeg = await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#8a5a44' },
    })
      .jpeg()
      .toBuffer();
    imageServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg),
    );
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/w.jpg`;

    const common = {
      ...servicesToEnv(services),
      DATABASE_URL: database.url,
      CACHE_KEY_PREFIX: testKeyPrefix('warnings'),
      KAFKA_TOPIC_PREFIX: prefix,
      FETCH_ALLOWLIST: '127.0.0.1',
      LOG_LEVEL: 'info',
    };
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    api = startService(
      'api-warnings',
      'services/api/dist/main.js',
      {
        ...common,
        PORT: String(apiPort),
        API_WORKERS: '2',
        AUTH_JWT_SECRET: SECRET,
        OUTBOX_POLL_INTERVAL_MS: '200',
      },
      [...API_NODE_FLAGS, ...REGISTER],
    );
    const metricsPort = await freePort();
    processor = startService(
      'processor-warnings',
      'services/image-processor/dist/main.js',
      {
        ...common,
        METRICS_PORT: String(metricsPort),
        KAFKA_GROUP_ID: uniqueName('warnings-processors'),
        KAFKA_BULK_GROUP_ID: uniqueName('warnings-processors-bulk'),
        PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
        S3_KEY_PREFIX: testKeyPrefix('warnings'),
      },
      REGISTER,
    );
    await waitHealthy(`${apiUrl}/readyz`, api);
    await waitHealthy(`http://127.0.0.1:${metricsPort}/readyz`, processor);

    // One product through the whole path: the S3, Kafka, PostgreSQL and Redis clients all work.
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('warnings-seller')
      .setIssuer('zocket-local')
      .setAudience('zocket-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const created = await fetch(`${apiUrl}/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Quiet start',
        description: '',
        price: { amountMinor: 1200, currency: 'EUR' },
        imageUrls: [imageUrl],
      }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as Product;
    await waitFor(
      async () => {
        const product = (await (await fetch(`${apiUrl}/products/${id}`)).json()) as Product;
        return product.images[0]?.status === 'ready' ? true : undefined;
      },
      { timeoutMs: 60_000, what: 'the product image to be ready' },
    );
    apiExit = await api.stop();
    processorExit = await processor.stop();
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await processor?.stop();
    await new Promise((resolve) => imageServer?.close(resolve));
    await topics?.delete().catch(() => {});
    await database?.drop();
  });

  it('runs on the Node version the project pins', () => {
    const pinned = readFileSync(new URL('../../../.nvmrc', import.meta.url), 'utf8').trim();
    expect(Number(process.versions.node.split('.')[0])).toBe(Number(pinned.split('.')[0]));
  });

  it('prints no warning from start to stop, and both stop cleanly', () => {
    expect(warningLines(api.logFile)).toEqual([]);
    expect(warningLines(processor.logFile)).toEqual([]);
    expect(apiExit).toBe(0);
    expect(processorExit).toBe(0);
  });
});
