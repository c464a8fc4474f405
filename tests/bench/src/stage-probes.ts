// CPU per image of the processor's I/O stages, each run alone in this process with the same
// client libraries and settings, one image at a time (so process.cpuUsage() belongs to it).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { DeleteObjectsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Db } from '@zocket/db';
import {
  loadConfig,
  type ProcessedImage,
  processImage,
  resolveProfile,
} from '@zocket/image-processor';
import { createKafka, createS3Client } from '@zocket/service-kit';
import type { TestServices } from '@zocket/testkit';
import type { KodakImage } from './kodak.js';
import { round } from './log.js';

/**
 * About how many statements one job runs against PostgreSQL: its claim, the rendition lookup and
 * record, and the completion with its transaction.
 */
export const STATEMENTS_PER_JOB = 5;

async function cpuMsOf(run: () => Promise<void>): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1000;
}

export interface StageProbes {
  /** HTTP GET of the source (client and the probe's own server, both in this process). */
  fetch: number;
  /** PutObject of the original and of every variant, as the processor writes them. */
  s3Writes: number;
  /** STATEMENTS_PER_JOB single-row statements with the same driver (client side). */
  database: number;
  /** One result event produced with acks=-1 (the consumer's fetch is not included). */
  kafka: number;
}

/** CPU ms per image of each stage, over `images` (their variants are rendered first, not timed). */
export async function probeStages(
  images: readonly KodakImage[],
  services: TestServices,
  db: Db,
): Promise<StageProbes> {
  const profile = resolveProfile(loadConfig({}).images.profile);
  const rendered: ProcessedImage[] = [];
  for (const image of images) {
    rendered.push(await processImage(image.bytes, profile, { maxPixels: 50_000_000 }));
  }

  const server = createServer((req, res) => {
    const image = images[Number(req.url?.slice(1))];
    if (image === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': image.bytes.length });
    res.end(image.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const fetchMs = await cpuMsOf(async () => {
    for (let i = 0; i < images.length; i += 1) {
      await (await fetch(`http://127.0.0.1:${port}/${i}`)).arrayBuffer();
    }
  });
  server.close();

  const s3 = createS3Client(services.s3);
  const prefix = `bench-probe-${randomUUID()}`;
  const keys: string[] = [];
  const s3Ms = await cpuMsOf(async () => {
    for (const [i, result] of rendered.entries()) {
      const objects = [
        { data: images[i]?.bytes ?? Buffer.alloc(0), type: 'image/png' },
        ...result.variants.map((v) => ({ data: v.data, type: v.contentType })),
      ];
      for (const [j, object] of objects.entries()) {
        const key = `${prefix}/${i}/${j}`;
        keys.push(key);
        await s3.send(
          new PutObjectCommand({
            Bucket: services.s3.bucket,
            Key: key,
            Body: object.data,
            ContentType: object.type,
          }),
        );
      }
    }
  });
  await s3.send(
    new DeleteObjectsCommand({
      Bucket: services.s3.bucket,
      Delete: { Objects: keys.map((Key) => ({ Key })) },
    }),
  );
  s3.destroy();

  const dbMs = await cpuMsOf(async () => {
    for (let i = 0; i < images.length * STATEMENTS_PER_JOB; i += 1) {
      await db.selectFrom('products').select(['id']).where('id', '=', randomUUID()).execute();
    }
  });

  const kafka = createKafka({
    clientId: 'bench-probe',
    brokers: services.kafkaBrokers,
    retry: { retries: 3 },
  });
  const producer = kafka.producer();
  await producer.connect();
  const topic = `bench-probe-${randomUUID()}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  // The first send fetches metadata: not a per-image cost.
  await producer.send({ topic, acks: -1, messages: [{ value: 'warm' }] });
  const event = JSON.stringify({ ...rendered[0]?.source, variants: rendered[0]?.variants.length });
  const kafkaMs = await cpuMsOf(async () => {
    for (let i = 0; i < images.length; i += 1) {
      await producer.send({ topic, acks: -1, messages: [{ key: String(i), value: event }] });
    }
  });
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin.disconnect();

  const perImage = (ms: number) => round(ms / images.length, 1);
  return {
    fetch: perImage(fetchMs),
    s3Writes: perImage(s3Ms),
    database: perImage(dbMs),
    kafka: perImage(kafkaMs),
  };
}
