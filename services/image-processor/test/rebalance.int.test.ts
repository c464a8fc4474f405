import { recordSpans, type SpanRecorder } from '@zocket/telemetry/testing';
import { waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Processor } from '../src/service.js';
import {
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

// Jobs each member may have in flight (PROCESSOR_CONCURRENCY): the most a rebalance may repeat.
const CONCURRENCY = 2;
const SOURCES = 10;

const image = (i: number) =>
  sharp({
    create: {
      width: 80 + i,
      height: 60,
      channels: 3,
      background: `#${(i * 20).toString(16).padStart(2, '0')}4080`,
    },
  })
    .jpeg()
    .toBuffer();

/**
 * Near-instant jobs (10 sources shared by 100 jobs: after the first renders, every job is a
 * rendition hit of a few ms), so a member works through many jobs between two heartbeats, and a
 * rebalance lands in the middle of long batches. Every handling is counted per (partition, offset)
 * from the consumer's `process <topic>` spans.
 */
describe('image processor: a rebalance with near-instant jobs', () => {
  let recorder: SpanRecorder;
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    recorder = recordSpans();
    world = await createProcessorWorld({ jobPartitions: 6 });
    server = await startImageServer();
    for (let i = 0; i < SOURCES; i += 1) {
      server.serve(`/s${i}.jpg`, await image(i), 'image/jpeg');
    }
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
    await recorder?.stop();
  });

  const start = () =>
    world.startProcessor({ VARIANT_FORMATS: 'webp', PROCESSOR_CONCURRENCY: String(CONCURRENCY) });

  /** How many times each image-jobs offset was handled, keyed `partition@offset`. */
  const handled = () => {
    const counts = new Map<string, number>();
    for (const span of recorder.spans()) {
      if (span.name !== `process ${world.topics.imageJobs}`) continue;
      const key = `${span.attributes['messaging.destination.partition.id']}@${span.attributes['messaging.kafka.offset']}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };
  const handlings = () => [...handled().values()].reduce((a, b) => a + b, 0);

  async function produce100() {
    recorder.reset();
    const products = await Promise.all(
      Array.from({ length: 10 }, (_, p) =>
        world.createProduct(
          Array.from({ length: SOURCES }, (_, i) => ({
            kind: 'url' as const,
            url: server.url(`/s${(p + i) % SOURCES}.jpg`),
          })),
        ),
      ),
    );
    await world.produceJobs(products.flatMap((p) => p.jobs));
    return products;
  }

  /** Waits until every image is ready and the group has committed every offset of the topic. */
  async function settled(products: { productId: string }[]) {
    for (const { productId } of products) {
      await world.waitForImages(
        productId,
        (s) => s.length === SOURCES && s.every((x) => x === 'ready'),
        120_000,
      );
    }
    const admin = world.kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const high = await admin.fetchTopicOffsets(world.topics.imageJobs);
          const [committed] = await admin.fetchOffsets({
            groupId: world.env.KAFKA_GROUP_ID ?? '',
            topics: [world.topics.imageJobs],
          });
          // An empty partition has no committed offset (-1) and nothing to commit.
          return high.every(
            (h) =>
              h.high === '0' ||
              committed?.partitions.find((c) => c.partition === h.partition)?.offset === h.high,
          )
            ? true
            : undefined;
        },
        { timeoutMs: 30_000, what: 'every offset to be committed' },
      );
    } finally {
      await admin.disconnect();
    }
  }

  async function expectRepeatsWithinInFlight(members: Processor[]) {
    const counts = handled();
    const repeated = [...counts].filter(([, n]) => n > 1);
    const ready = await Promise.all(
      members.map((m) => world.metricOf(m, 'zocket_image_jobs_total', { outcome: 'ready' })),
    );
    expect(counts.size).toBe(100);
    expect(
      handlings(),
      `repeated offsets: ${JSON.stringify(repeated)}; ready per member: ${JSON.stringify(ready)}`,
    ).toBeLessThanOrEqual(100 + CONCURRENCY * members.length);
  }

  it('a member leaving midway: the survivor repeats at most the jobs in flight', async () => {
    const leaver = await start();
    const survivor = await start();
    const products = await produce100();
    await waitFor(() => (handlings() >= 15 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the first jobs',
    });
    await leaver.stop();
    await settled(products);
    await expectRepeatsWithinInFlight([leaver, survivor]);
    await survivor.stop();
  });

  it('a member joining midway: nobody repeats more than the jobs in flight', async () => {
    const first = await start();
    const products = await produce100();
    await waitFor(() => (handlings() >= 15 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the first jobs',
    });
    const joiner = await start();
    await settled(products);
    await expectRepeatsWithinInFlight([first, joiner]);
    await first.stop();
    await joiner.stop();
  });
});
