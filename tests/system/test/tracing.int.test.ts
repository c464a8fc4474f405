import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { topicNames } from '@zocket/contracts';
import { randomHexId } from '@zocket/telemetry/testing';
import {
  createTestTopics,
  repoRoot,
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
import { systemTestConfig } from '../src/config.js';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  SPAN_KIND,
  spanTree,
  startOtlpReceiver,
} from '../src/otlp-receiver.js';
import {
  createMigratedDatabase,
  freePort,
  type ServiceProcess,
  startService,
  waitHealthy,
} from '../src/system.js';

const SECRET = 'tracing-test-secret-0123456789abcdef';
/** The start command's bootstrap, as in the Dockerfiles and `npm start`. */
const TRACING = ['--import', '@zocket/telemetry/register'];

/**
 * The API and a processor as processes started the way production starts them, exporting to a
 * loopback OTLP/HTTP receiver: one create must make one trace down to the variant's S3 put.
 */
describe('one trace from the HTTP request to the variants in S3', () => {
  const services = testServices();
  const prefix = `${uniqueName('zo')}.`;
  const topics = topicNames(prefix);
  let receiver: OtlpReceiver;
  let database: TestDatabase;
  let createdTopics: TestTopics;
  let imageServer: Server;
  let imageUrl: string;
  let api: ServiceProcess;
  let processor: ServiceProcess;
  let apiUrl: string;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    database = await createMigratedDatabase(services);
    createdTopics = await createTestTopics(
      services,
      Object.values(topics).map((name) => ({ name, partitions: 2 })),
      { uniqueNames: false },
    );
    const jpeg = await sharp({
      create: { width: 480, height: 320, channels: 3, background: '#2a6f97' },
    })
      .jpeg()
      .toBuffer();
    imageServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg),
    );
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    imageUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/traced.jpg`;

    const common = {
      ...servicesToEnv(services),
      DATABASE_URL: database.url,
      CACHE_KEY_PREFIX: testKeyPrefix('tracing'),
      KAFKA_TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      // Export every 200 ms rather than 5 s, so the test does not wait for the batch.
      OTEL_BSP_SCHEDULE_DELAY: '200',
    };
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    api = startService(
      'api-traced',
      'services/api/dist/main.js',
      {
        ...common,
        OTEL_SERVICE_NAME: 'zocket-api',
        PORT: String(apiPort),
        API_WORKERS: '1',
        AUTH_JWT_SECRET: SECRET,
        FETCH_ALLOWLIST: '127.0.0.1',
        OUTBOX_POLL_INTERVAL_MS: '250',
        BULK_COMMANDS_ENABLED: 'false',
        BULK_LIVE_GROUP_ID: uniqueName('tracing-live'),
      },
      TRACING,
    );
    const metricsPort = await freePort();
    processor = startService(
      'processor-traced',
      'services/image-processor/dist/main.js',
      {
        ...common,
        OTEL_SERVICE_NAME: 'zocket-image-processor',
        ZOCKET_OTEL_KAFKAJS: '1',
        METRICS_PORT: String(metricsPort),
        KAFKA_GROUP_ID: uniqueName('tracing-processors'),
        KAFKA_BULK_GROUP_ID: uniqueName('tracing-processors-bulk'),
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        FETCH_ALLOWLIST: '127.0.0.1',
        PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
        VARIANT_PROFILE_VERSION: uniqueName('trace').toLowerCase().replace(/_/g, '-').slice(0, 32),
        AVIF_EFFORT: '0',
        WEBP_EFFORT: '0',
      },
      TRACING,
    );
    await waitHealthy(`${apiUrl}/readyz`, api);
    await waitHealthy(`http://127.0.0.1:${metricsPort}/readyz`, processor);
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await processor?.stop();
    await new Promise<void>((resolve) =>
      imageServer ? imageServer.close(() => resolve()) : resolve(),
    );
    await receiver?.close();
    await createdTopics?.delete().catch(() => {});
    await database?.drop();
  });

  it('joins the request, its database writes, the job, the variants upload and the result event', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`tracing-${randomUUID()}`)
      .setIssuer('zocket-local')
      .setAudience('zocket-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const traceId = randomHexId(16);
    const callerSpanId = randomHexId(8);
    const created = await fetch(`${apiUrl}/products`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
      body: JSON.stringify({
        name: 'Traced mug',
        price: { amountMinor: 1999, currency: 'EUR' },
        imageUrls: [imageUrl],
      }),
    });
    expect(created.status).toBe(200);
    const { id } = (await created.json()) as { id: string };
    await waitFor(
      async () => {
        const product = (await (await fetch(`${apiUrl}/products/${id}`)).json()) as {
          images: { status: string }[];
        };
        return product.images[0]?.status === 'ready' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'the image to turn ready' },
    );

    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const one = (what: string, match: (s: ReceivedSpan) => boolean) =>
      waitFor(() => inTrace().find(match), { timeoutMs: 15_000, what });

    const server = await one('the API server span', (s) => s.name === 'POST /products');
    expect(server).toMatchObject({ service: 'zocket-api', kind: SPAN_KIND.server });
    expect(server.parentSpanId).toBe(callerSpanId);
    const procedure = await one('the procedure span', (s) => s.name === 'trpc products.create');
    expect(procedure.parentSpanId).toBe(server.spanId);
    // The product and outbox inserts, as pg spans of the request.
    const apiQueries = await waitFor(
      () => {
        const q = inTrace().filter((s) => s.service === 'zocket-api' && s.name.startsWith('pg.'));
        return q.some((s) =>
          /insert into "outbox"/i.test(
            String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? ''),
          ),
        )
          ? q
          : undefined;
      },
      { timeoutMs: 15_000, what: 'the outbox insert as a pg span' },
    );
    expect(apiQueries.length).toBeGreaterThan(1);

    // The processor's span of the job, parented by the procedure span the outbox row carried.
    const process = await one(
      'the processor consumer span',
      (s) => s.name === `process ${topics.imageJobs}` && s.service === 'zocket-image-processor',
    );
    expect(process.kind).toBe(SPAN_KIND.consumer);
    expect(process.parentSpanId).toBe(procedure.spanId);

    const descendantsOf = (root: ReceivedSpan) => {
      const found: ReceivedSpan[] = [];
      let frontier = [root.spanId];
      while (frontier.length > 0) {
        const next = inTrace().filter((s) => frontier.includes(s.parentSpanId));
        found.push(...next);
        frontier = next.map((s) => s.spanId);
      }
      return found;
    };
    const job = await waitFor(
      () => {
        const d = descendantsOf(process);
        return d.some((s) => s.name === `send ${topics.imageResults}`) ? d : undefined;
      },
      { timeoutMs: 15_000, what: 'the image-results send under the process span' },
    );
    const names = job.map((s) => s.name);
    // sharp and S3 split, the variants' PUTs to S3 (node:http client spans), the image row's
    // update, the cache invalidation in Redis and the result event on Kafka.
    expect(names).toEqual(expect.arrayContaining(['render variants', 'upload variants']));
    const upload = job.find((s) => s.name === 'upload variants') as ReceivedSpan;
    const puts = job.filter(
      (s) => s.kind === SPAN_KIND.client && s.parentSpanId === upload.spanId && s.name === 'PUT',
    );
    expect(puts.length).toBeGreaterThanOrEqual(2);
    const statements = job
      .filter((s) => s.name.startsWith('pg.query'))
      .map((s) => String(s.attributes['db.statement'] ?? s.attributes['db.query.text'] ?? ''));
    expect(statements.some((q) => /update "product_images"/i.test(q))).toBe(true);
    expect(job.some((s) => s.scope.includes('ioredis'))).toBe(true);
    const send = job.find((s) => s.name === `send ${topics.imageResults}`) as ReceivedSpan;
    expect(send).toMatchObject({ kind: SPAN_KIND.producer, service: 'zocket-image-processor' });

    // The trace, for the README and whoever reads this run's artifacts.
    const tree = spanTree(inTrace());
    const dir = systemTestConfig.outDir ?? join(repoRoot(), 'tests', 'system', '.artifacts');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `trace-${traceId}.txt`), `${tree}\n`);
  });
});
