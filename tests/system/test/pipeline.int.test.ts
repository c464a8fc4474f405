import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  type ImageResultEventV1,
  type Product,
  parseImageResultEvent,
  topicNames,
} from '@zocket/contracts';
import {
  createTestTopics,
  type DedicatedKafka,
  servicesToEnv,
  startDedicatedKafka,
  type TestDatabase,
  testKeyPrefix,
  testServices,
  uniqueName,
  waitFor,
} from '@zocket/testkit';
import { SignJWT } from 'jose';
import { Kafka } from 'kafkajs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createZocketClient,
  uploadImage,
  uploadImagesMultipart,
  whenReady,
} from '../src/client-example.js';
import {
  createMigratedDatabase,
  freePort,
  type ServiceProcess,
  startService,
  waitHealthy,
} from '../src/system.js';

const SECRET = 'system-test-secret-0123456789abcdef';

const alive = (p: ServiceProcess) => p.child.exitCode === null && p.child.signalCode === null;

async function token(subject: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer('zocket-local')
    .setAudience('zocket-api')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
}

/** The system under test: its own Kafka broker (so it can be stopped), the API, two processors. */
describe('the whole system, as separate processes', () => {
  const services = testServices();
  let kafka: DedicatedKafka;
  let database: TestDatabase;
  let imageServer: Server;
  let imageBase: string;
  let api: ServiceProcess;
  let apiUrl: string;
  const processors: ServiceProcess[] = [];
  let processorEnv: NodeJS.ProcessEnv;
  let client: ReturnType<typeof createZocketClient>;
  const images = new Map<string, Buffer>();

  const startProcessor = async (name: string) => {
    const port = await freePort();
    const p = startService(name, 'services/image-processor/dist/main.js', {
      ...processorEnv,
      METRICS_PORT: String(port),
    });
    processors.push(p);
    await waitHealthy(`http://127.0.0.1:${port}/readyz`, p);
    return p;
  };

  beforeAll(async () => {
    kafka = await startDedicatedKafka();
    await createTestTopics(
      { ...services, kafkaBrokers: kafka.brokers },
      // Every topic the services use (the bulk lane and the bulk commands included).
      Object.entries(topicNames()).map(([key, name]) => ({
        name,
        partitions: key.startsWith('imageJobs') && key !== 'imageJobsDlq' ? 6 : 1,
      })),
      { uniqueNames: false },
    );
    database = await createMigratedDatabase(services);

    for (let i = 0; i < 12; i += 1) {
      images.set(
        `/img-${i}.jpg`,
        await sharp({
          create: {
            width: 400 + i * 20,
            height: 300,
            channels: 3,
            background: { r: i * 20, g: 90, b: 200 },
          },
        })
          .jpeg()
          .toBuffer(),
      );
    }
    imageServer = createServer((req, res) => {
      // /slow/... answers after a second, leaving readers time to cache the unprocessed product.
      const slow = req.url?.startsWith('/slow/') ?? false;
      const body = images.get(slow ? (req.url ?? '').slice('/slow'.length) : (req.url ?? ''));
      if (body === undefined) return void res.writeHead(404).end();
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(body),
        slow ? 1000 : 0,
      );
    });
    await new Promise<void>((resolve) => imageServer.listen(0, '127.0.0.1', resolve));
    const address = imageServer.address();
    imageBase = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

    const common = {
      ...servicesToEnv(services),
      DATABASE_URL: database.url,
      CACHE_KEY_PREFIX: testKeyPrefix('system'),
      KAFKA_BROKERS: kafka.brokers.join(','),
      LOG_LEVEL: 'info',
    };
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    api = startService('api', 'services/api/dist/main.js', {
      ...common,
      PORT: String(apiPort),
      API_WORKERS: '1',
      AUTH_JWT_SECRET: SECRET,
      OUTBOX_POLL_INTERVAL_MS: '250',
      BULK_COMMANDS_GROUP_ID: uniqueName('system-bulk-commands'),
      // The image server is on loopback: the API refuses such URLs unless allowlisted.
      FETCH_ALLOWLIST: '127.0.0.1',
    });
    await waitHealthy(`${apiUrl}/readyz`, api);
    processorEnv = {
      ...common,
      KAFKA_GROUP_ID: uniqueName('system-processors'),
      KAFKA_BULK_GROUP_ID: uniqueName('system-processors-bulk'),
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      FETCH_ALLOWLIST: '127.0.0.1',
      PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
      VARIANT_PROFILE_VERSION: uniqueName('sys').toLowerCase().replace(/_/g, '-').slice(0, 32),
      PROCESSOR_CONCURRENCY: '2',
      RETRY_BASE_DELAY_MS: '500',
      UV_THREADPOOL_SIZE: '8',
    };
    await startProcessor('processor-1');
    await startProcessor('processor-2');

    client = createZocketClient({ url: apiUrl, token: await token(`seller-${randomUUID()}`) });
  });

  afterAll(async () => {
    await Promise.all(processors.map((p) => p.stop()));
    await api?.stop();
    await new Promise<void>((resolve) =>
      imageServer ? imageServer.close(() => resolve()) : resolve(),
    );
    await kafka?.close();
    await database?.drop();
  });

  /** Waits for the images through the live subscription, then reads the product once. */
  const waitReady = async (id: string, count: number, timeoutMs = 120_000) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${count} images on ${id} not ready within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const images = await Promise.race([whenReady(client, id, count), timeout]);
      const product = await client.products.byId.query({ id });
      expect(product.images).toEqual(images);
      return product;
    } finally {
      clearTimeout(timer);
    }
  };

  async function expectVariantsServed(product: Product) {
    for (const image of product.images) {
      expect(image.variants.length).toBeGreaterThan(0);
      for (const variant of image.variants) {
        const response = await fetch(variant.url);
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe(`image/${variant.format}`);
        const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
        expect([meta.width, meta.height]).toEqual([variant.width, variant.height]);
      }
    }
    expect(product.compressedProductImages).toHaveLength(product.images.length);
  }

  it('processes image URLs and uploaded files into variants served from their URLs', async () => {
    const created = await client.products.create.mutate({
      name: 'Desk lamp',
      description: 'Brass',
      price: { amountMinor: 4999, currency: 'EUR' },
      imageUrls: [`${imageBase}/img-0.jpg`, `${imageBase}/img-1.jpg`],
    });
    expect(created.images.map((i) => i.status)).toEqual(['pending', 'pending']);
    const other = await client.products.create.mutate({
      name: 'Chair',
      price: { amountMinor: 12900, currency: 'EUR' },
    });
    const png = await sharp({
      create: { width: 320, height: 320, channels: 4, background: '#ff000080' },
    })
      .png()
      .toBuffer();
    const uploaded = await uploadImagesMultipart(client, other.id, [
      new File([new Uint8Array(images.get('/img-2.jpg') ?? Buffer.alloc(0))], 'a.jpg'),
      new File([new Uint8Array(png)], 'b.png'),
    ]);
    expect(uploaded.images.map((i) => i.source.kind)).toEqual(['upload', 'upload']);
    // And one straight to S3 through a presigned URL.
    const direct = await uploadImage(
      client,
      other.id,
      new Blob([new Uint8Array(images.get('/img-11.jpg') ?? Buffer.alloc(0))], {
        type: 'image/jpeg',
      }),
    );
    expect(direct.images.map((i) => i.source.kind)).toEqual(['upload', 'upload', 'upload']);

    await expectVariantsServed(await waitReady(created.id, 2));
    await expectVariantsServed(await waitReady(other.id, 3));
  });

  it('shows the processing result through byId as soon as it is announced (the cache was invalidated)', async () => {
    // A processor announces a result on image-results only after it has committed the row and
    // invalidated the cache, so from then on no reader may see the unprocessed product.
    const results = new Kafka({ clientId: 'system-test', brokers: kafka.brokers, logLevel: 0 });
    const collector = results.consumer({ groupId: uniqueName('system-results') });
    const announced: ImageResultEventV1[] = [];
    await collector.connect();
    try {
      await collector.subscribe({ topic: topicNames().imageResults, fromBeginning: true });
      await collector.run({
        eachMessage: async ({ message }) => {
          const parsed = parseImageResultEvent(message.value);
          if (parsed.ok) announced.push(parsed.value);
        },
      });
      const created = await client.products.create.mutate({
        name: 'Vase',
        price: { amountMinor: 2500, currency: 'USD' },
        imageUrls: [`${imageBase}/slow/img-3.jpg`],
      });
      // Fill the cache with the unprocessed product: the slow source keeps it from being ready
      // for a second, though a processor may already have marked it `processing`.
      for (let read = 0; read < 2; read += 1) {
        const product = await client.products.byId.query({ id: created.id });
        expect(['pending', 'processing']).toContain(product.images[0]?.status);
      }
      const result = await waitFor(
        () => announced.find((event) => event.productId === created.id),
        { timeoutMs: 60_000, intervalMs: 20, what: 'the image-results event' },
      );
      expect(result.status).toBe('ready');
      const product = await client.products.byId.query({ id: created.id });
      expect(product.images[0]?.status).toBe('ready');
      expect(product.images[0]?.variants).toEqual(result.variants);
      expect(product.compressedProductImages).toHaveLength(1);
    } finally {
      await collector.disconnect();
    }
  });

  it('replaces images on update and forgets a deleted product', async () => {
    const created = await client.products.create.mutate({
      name: 'Rug',
      price: { amountMinor: 9900, currency: 'EUR' },
      imageUrls: [`${imageBase}/img-4.jpg`],
    });
    const first = await waitReady(created.id, 1);
    const oldUrls = first.compressedProductImages;
    const updated = await client.products.update.mutate({
      id: created.id,
      expectedVersion: first.version,
      imageUrls: [`${imageBase}/img-5.jpg`, `${imageBase}/img-6.jpg`],
    });
    expect(updated.images.map((i) => i.status)).toEqual(['pending', 'pending']);
    expect(updated.compressedProductImages).toEqual([]);
    const replaced = await waitReady(created.id, 2);
    expect(replaced.compressedProductImages).toHaveLength(2);
    expect(replaced.compressedProductImages.some((u) => oldUrls.includes(u))).toBe(false);
    await expectVariantsServed(replaced);

    await client.products.delete.mutate({ id: created.id });
    await expect(client.products.byId.query({ id: created.id })).rejects.toMatchObject({
      data: { code: 'NOT_FOUND' },
    });
    const response = await fetch(`${apiUrl}/products/${created.id}`);
    expect(response.status).toBe(404);
  });

  it('loses no image when a processor is killed with 50 images in flight', async () => {
    const products = await Promise.all(
      Array.from({ length: 5 }, (_, p) =>
        client.products.create.mutate({
          name: `Batch ${p}`,
          price: { amountMinor: 100 + p, currency: 'EUR' },
          imageUrls: Array.from({ length: 10 }, (_, i) => `${imageBase}/img-${i}.jpg`),
        }),
      ),
    );
    // Let processing start, then kill one processor without any chance to clean up.
    await waitFor(
      async () => {
        const all = await Promise.all(
          products.map((p) => client.products.byId.query({ id: p.id })),
        );
        const ready = all.flatMap((p) => p.images).filter((i) => i.status === 'ready').length;
        return ready >= 3 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'processing to start' },
    );
    await processors[0]?.kill9();

    for (const product of products) {
      const done = await waitReady(product.id, 10, 180_000);
      expect(new Set(done.images.map((i) => i.id)).size).toBe(10);
      expect(done.images.map((i) => i.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    // Bring the group back to two members for what follows.
    await startProcessor('processor-3');
  });

  it('processes every job created while the Kafka broker was down, once it is back', async () => {
    await kafka.kill();
    const created = await Promise.all(
      Array.from({ length: 3 }, (_, p) =>
        client.products.create.mutate({
          name: `During outage ${p}`,
          price: { amountMinor: 700, currency: 'GBP' },
          imageUrls: [`${imageBase}/img-${7 + p}.jpg`],
        }),
      ),
    );
    expect(created.every((p) => p.images[0]?.status === 'pending')).toBe(true);
    await new Promise((r) => setTimeout(r, 3_000));
    await kafka.start();
    for (const product of created) await waitReady(product.id, 1, 180_000);
    // The processors survived the outage (or were restarted by nothing: they must still run).
    expect(processors.filter(alive).length).toBe(2);
  });

  it('shuts every process down cleanly on SIGTERM, even after the broker outage', async () => {
    const running = [...processors.filter(alive), api];
    const codes = await Promise.all(running.map((p) => p.stop()));
    expect(codes).toEqual(running.map(() => 0));
  });
});
