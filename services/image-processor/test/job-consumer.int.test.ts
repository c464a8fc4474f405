import { findProduct } from '@zocket/db';
import { waitFor } from '@zocket/testkit';
import type { Admin } from 'kafkajs';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createProcessor, type Processor } from '../src/service.js';
import {
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  resultEvents,
  startImageServer,
} from './processor-world.js';

const PRODUCTS = 8;
const IMAGES_PER_PRODUCT = 10;
const JOBS = PRODUCTS * IMAGES_PER_PRODUCT;

interface LogRecord {
  processor: string;
  msg?: string;
  assignment?: Record<string, number[]>;
}

describe('image processor: a rebalance in the middle of a large batch', () => {
  let world: ProcessorWorld;
  let server: ImageServer;
  let admin: Admin;
  // Every source answers after this delay, so the first member's one big batch takes a while.
  let sourceDelayMs = 400;
  const processors: Processor[] = [];
  const logs: LogRecord[] = [];
  const fatal: unknown[] = [];

  beforeAll(async () => {
    // One partition: every job lands in the same partition, so the first member fetches them all
    // in a single batch.
    world = await createProcessorWorld({ jobPartitions: 1 });
    server = await startImageServer();
    for (let i = 0; i < IMAGES_PER_PRODUCT; i += 1) {
      const body = await sharp({
        create: { width: 64 + i, height: 48, channels: 3, background: `#20${i}0a0` },
      })
        .jpeg()
        .toBuffer();
      server.route(`/m${i}.jpg`, (_req, res) => {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': body.length });
          res.end(body);
        }, sourceDelayMs);
      });
    }
    admin = world.kafka.admin();
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(processors.map((p) => p.stop()));
    await admin?.disconnect();
    await world?.close();
    await server?.close();
  });

  /** A processor whose log records and fatal crashes the test can read. */
  async function startProcessor(name: string): Promise<Processor> {
    const config = loadConfig({ ...world.env, VARIANT_FORMATS: 'webp', LOG_LEVEL: 'info' });
    const logger = pino(
      { level: 'info' },
      { write: (line: string) => logs.push({ ...JSON.parse(line), processor: name }) },
    );
    const processor = createProcessor(config, logger, (error) => fatal.push(error));
    processors.push(processor);
    // Resolves once the member has joined, which means the group's rebalance has completed.
    await processor.start();
    expect(processor.consumer.ready).toBe(true);
    return processor;
  }

  async function committedOffset(): Promise<number> {
    const [topic] = await admin.fetchOffsets({
      groupId: world.env.KAFKA_GROUP_ID ?? '',
      topics: [world.topics.imageJobs],
    });
    return Number(topic?.partitions.find((p) => p.partition === 0)?.offset ?? -1);
  }

  async function readyImages(productIds: string[]): Promise<number> {
    const products = await Promise.all(productIds.map((id) => findProduct(world.db, id)));
    return products.flatMap((p) => p?.images ?? []).filter((i) => i.status === 'ready').length;
  }

  it('commits every job as it goes and hands partitions over between two jobs', async () => {
    const results = await world.collect(world.topics.imageResults);
    const products = await Promise.all(
      Array.from({ length: PRODUCTS }, () =>
        world.createProduct(
          Array.from({ length: IMAGES_PER_PRODUCT }, (_, i) => ({
            kind: 'url' as const,
            url: server.url(`/m${i}.jpg`),
          })),
        ),
      ),
    );
    const productIds = products.map((p) => p.productId);
    // One send, before any member exists: one record batch, fetched whole by the first member.
    await world.produceJobs(products.flatMap((p) => p.jobs));
    const first = await startProcessor('first');

    // At 400 ms a source the batch takes over 30 s: its progress must be committed long before.
    const committed = await waitFor(
      async () => {
        const offset = await committedOffset();
        return offset > 0 ? offset : undefined;
      },
      { timeoutMs: 20_000, what: 'an offset committed while the batch is under way' },
    );
    const readyAtCommit = await readyImages(productIds);
    // Never ahead of the work that is durable, and long before the batch's end.
    expect(committed).toBeLessThanOrEqual(readyAtCommit);
    expect(readyAtCommit).toBeLessThan(JOBS / 2);

    // A second member joins. The first must stop between two jobs and rejoin, not finish its batch
    // first: start() only returns once the group's rebalance has completed.
    const second = await startProcessor('second');
    const readyAtRebalance = await readyImages(productIds);
    expect(readyAtRebalance).toBeLessThan(JOBS / 2);
    const joins = (name: string) =>
      logs.filter((r) => r.processor === name && r.msg === 'joined consumer group');
    const secondAssignment = Object.values(joins('second')[0]?.assignment ?? {}).flat();
    expect(secondAssignment.length).toBeGreaterThan(0);
    // The first member rejoined through kafkajs' rebalance path: no crash, no restart.
    expect(joins('first').length).toBeGreaterThanOrEqual(2);
    expect(logs.filter((r) => r.msg === 'consumer crashed')).toEqual([]);
    expect(fatal).toEqual([]);

    sourceDelayMs = 0;
    for (const productId of productIds) {
      const product = await world.waitForImages(
        productId,
        (s) => s.length === IMAGES_PER_PRODUCT && s.every((x) => x === 'ready'),
        60_000,
      );
      expect(product.images).toHaveLength(IMAGES_PER_PRODUCT);
    }
    await waitFor(() => (resultEvents(results.messages).length >= JOBS ? true : undefined), {
      timeoutMs: 30_000,
      what: 'a result event for every image',
    });
    await waitFor(async () => ((await committedOffset()) === JOBS ? true : undefined), {
      what: 'every offset committed',
    });

    // Exactly once: one fetch, one render and one result event per image, none repeated by the
    // hand-over.
    const events = resultEvents(results.messages);
    expect(events).toHaveLength(JOBS);
    expect(new Set(events.map((e) => e.imageId)).size).toBe(JOBS);
    expect(server.requests()).toBe(JOBS);
    const rendered = await Promise.all(
      [first, second].map((p) =>
        world.metricOf(p, 'zocket_image_jobs_total', { outcome: 'ready' }),
      ),
    );
    expect(rendered.reduce((a, b) => a + b, 0)).toBe(JOBS);
    expect(logs.filter((r) => r.msg === 'consumer crashed')).toEqual([]);
    expect(fatal).toEqual([]);
    await results.stop();
  });
});
