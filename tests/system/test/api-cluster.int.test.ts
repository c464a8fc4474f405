import { type Product, topicNames } from '@zocket/contracts';
import {
  createTestTopics,
  servicesToEnv,
  type TestDatabase,
  type TestTopics,
  type TopicTap,
  tapTopic,
  testKeyPrefix,
  testServices,
  uniqueName,
  waitFor,
} from '@zocket/testkit';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMigratedDatabase,
  freePort,
  type ServiceProcess,
  startService,
  waitHealthy,
} from '../src/system.js';

const SECRET = 'cluster-test-secret-0123456789abcdef';

/** The API with API_WORKERS=2: two processes behind one port, one relay each. */
describe('the API as a cluster of two workers', () => {
  const services = testServices();
  let database: TestDatabase;
  let topics: TestTopics;
  let tap: TopicTap;
  let api: ServiceProcess;
  let apiUrl: string;
  const prefix = `${uniqueName('zc')}.`;

  beforeAll(async () => {
    database = await createMigratedDatabase(services);
    const names = topicNames(prefix);
    topics = await createTestTopics(
      services,
      Object.values(names).map((name) => ({ name, partitions: 3 })),
      { uniqueNames: false },
    );
    tap = await tapTopic(services.kafkaBrokers, names.imageJobs);
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}`;
    api = startService('api-cluster', 'services/api/dist/main.js', {
      ...servicesToEnv(services),
      DATABASE_URL: database.url,
      CACHE_KEY_PREFIX: testKeyPrefix('cluster'),
      KAFKA_TOPIC_PREFIX: prefix,
      PORT: String(port),
      API_WORKERS: '2',
      AUTH_JWT_SECRET: SECRET,
      OUTBOX_POLL_INTERVAL_MS: '200',
      LOG_LEVEL: 'info',
    });
    await waitHealthy(`${apiUrl}/readyz`, api);
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await tap?.stop();
    await topics?.delete().catch(() => {});
    await database?.drop();
  });

  it('answers /metrics with the requests of every worker summed', async () => {
    const N = 40;
    for (let i = 0; i < N; i++) expect((await fetch(`${apiUrl}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${apiUrl}/metrics`)).text();
    const match =
      /^zocket_http_requests_total\{route="\/healthz",method="GET",status="200"\} (\d+)/m.exec(
        text,
      );
    // Round robin spreads the requests over both workers: one worker's count alone is about N/2.
    expect(Number(match?.[1])).toBe(N);
  });

  it('publishes every outbox row exactly once with a relay in each worker', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('cluster-owner')
      .setIssuer('zocket-local')
      .setAudience('zocket-api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    const created = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const res = await fetch(`${apiUrl}/products`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            name: `Clustered ${i}`,
            description: '',
            price: { amountMinor: 100, currency: 'EUR' },
            imageUrls: ['https://cdn.example.com/a.jpg', 'https://cdn.example.com/b.jpg'],
          }),
        });
        expect(res.status).toBe(200);
        return (await res.json()) as Product;
      }),
    );
    const imageIds = created.flatMap((p) => p.images.map((image) => image.id));
    await waitFor(
      async () =>
        imageIds.every((id) => tap.records.some((r) => r.value?.includes(id))) ? true : undefined,
      { timeoutMs: 30_000, what: 'every image job on Kafka' },
    );
    await new Promise((r) => setTimeout(r, 1_000)); // room for a duplicate to show up
    for (const id of imageIds) {
      expect(tap.records.filter((r) => r.value?.includes(id))).toHaveLength(1);
    }
  });

  it('stops every worker and exits on SIGTERM', async () => {
    expect(await api.stop(20_000)).toBe(0);
  });
});
