import { randomUUID } from 'node:crypto';
import { findProduct, replaceProductImages } from '@zocket/db';
import { createTcpProxy, type TcpProxy, uniqueName, waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDlq } from '../src/dlq/dlq-replay.js';
import type { Processor } from '../src/service.js';
import {
  allSettled,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  resultEvents,
  startImageServer,
} from './processor-world.js';

const image = (background: string, width = 96, height = 64) =>
  sharp({ create: { width, height, channels: 3, background } })
    .jpeg()
    .toBuffer();

describe('image processor: delivery guarantees', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
    server.serve('/a.jpg', await image('#aa0000'), 'image/jpeg');
    server.serve('/b.jpg', await image('#00aa00'), 'image/jpeg');
    await world.startProcessor();
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  it('gives the same row and the same S3 objects when a job is delivered twice', async () => {
    const results = await world.collect(world.topics.imageResults);
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/a.jpg') },
    ]);
    // A redelivery carries the event's own reason; only `reprocess` renders a ready image again.
    await world.produceJobs(jobs, 'created');
    const first = await world.waitForImages(productId, allSettled);
    const objects = await Promise.all(
      (first.images[0]?.variants ?? []).map(async (v) => (await world.getObject(v.key)).body),
    );

    await world.produceJobs(jobs, 'created');
    await waitFor(() => (resultEvents(results.messages).length >= 2 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the duplicate to be handled',
    });
    const second = await findProduct(world.db, productId);
    expect(second?.images).toEqual(first.images);
    expect(second?.images[0]?.attempts).toBe(1);
    const again = await Promise.all(
      (second?.images[0]?.variants ?? []).map(async (v) => (await world.getObject(v.key)).body),
    );
    expect(again.map((b) => b.toString('base64'))).toEqual(
      objects.map((b) => b.toString('base64')),
    );
    const events = resultEvents(results.messages);
    expect(events.map((e) => [e.imageId, e.status])).toEqual([
      [jobs[0]?.imageId, 'ready'],
      [jobs[0]?.imageId, 'ready'],
    ]);
    await results.stop();
  });

  it('ignores a job for an image that was replaced, and the new job still succeeds', async () => {
    const { productId, jobs: oldJobs } = await world.createProduct([
      { kind: 'url', url: server.url('/a.jpg') },
    ]);
    const newJobs = await replaceProductImages(world.db, productId, [
      { kind: 'url', url: server.url('/b.jpg') },
    ]);
    const processed = world.processorMetric('zocket_image_jobs_total', { outcome: 'stale' });
    await world.produceJobs(oldJobs);
    await waitFor(
      async () =>
        (await world.processorMetric('zocket_image_jobs_total', { outcome: 'stale' })) >
        (await processed)
          ? true
          : undefined,
      { what: 'the stale job to be seen' },
    );
    const untouched = await findProduct(world.db, productId);
    expect(untouched?.images.map((i) => [i.id, i.status, i.attempts])).toEqual([
      [newJobs[0]?.imageId, 'pending', 0],
    ]);

    await world.produceJobs(newJobs);
    const product = await world.waitForImages(productId, allSettled);
    expect(product.images).toHaveLength(1);
    expect(product.images[0]).toMatchObject({ id: newJobs[0]?.imageId, status: 'ready' });
  });

  it('replays dead-lettered jobs after the cause is fixed', async () => {
    const path = `/late-${randomUUID()}.jpg`;
    const { productId, jobs } = await world.createProduct([{ kind: 'url', url: server.url(path) }]);
    await world.produceJobs(jobs);
    const failed = await world.waitForImages(productId, allSettled);
    expect(failed.images[0]?.status).toBe('failed');
    expect(failed.images[0]?.failureReason).toMatch(/404/);

    server.serve(path, await image('#0000aa'), 'image/jpeg');
    const report = await replayDlq({
      kafka: world.kafka,
      producer: world.producer,
      topics: world.topics,
      groupId: uniqueName('replay'),
      dryRun: false,
      filter: { errorCode: 'SOURCE_NOT_FOUND', productId },
    });
    expect(report.replayed).toBe(1);
    const fixed = await world.waitForImages(productId, (s) => s.every((x) => x === 'ready'));
    expect(fixed.images[0]?.variants.length).toBeGreaterThan(0);
  });
});

describe('image processor: bulk reprocessing with the current job id', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
    server.serve('/r.jpg', await image('#884422'), 'image/jpeg');
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  it('renders a ready image again under a new profile version for a reprocess event', async () => {
    const before = await world.startProcessor();
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/r.jpg') },
    ]);
    await world.produceJobs(jobs, 'created');
    const ready = await world.waitForImages(productId, allSettled);
    expect(ready.images[0]?.status).toBe('ready');
    const oldKeys = ready.images[0]?.variants.map((v) => v.key) ?? [];
    expect(oldKeys.length).toBeGreaterThan(0);
    await before.stop();

    // The operator bumps VARIANT_PROFILE_VERSION and produces the image's current job again.
    const bumped = `${world.profileVersion.slice(0, 28)}-v2`;
    const results = await world.collect(world.topics.imageResults);
    await world.startProcessor({ VARIANT_PROFILE_VERSION: bumped });
    await world.produceJobs(jobs, 'reprocess');
    const rerendered = await waitFor(
      async () => {
        const product = await findProduct(world.db, productId);
        const variants = product?.images[0]?.variants ?? [];
        return variants.length > 0 && variants.every((v) => v.key.includes(`/${bumped}/`))
          ? product
          : undefined;
      },
      { timeoutMs: 30_000, what: 'variants under the new profile version' },
    );
    const image = rerendered?.images[0];
    expect(image).toMatchObject({ status: 'ready', attempts: 2 });
    expect(image?.variants.map((v) => v.key)).toEqual(
      oldKeys.map((k) => k.replace(`/${world.profileVersion}/`, `/${bumped}/`)),
    );
    for (const variant of image?.variants ?? []) {
      const object = await world.getObject(variant.key);
      expect(object.body.length).toBe(variant.bytes);
    }
    await waitFor(
      () =>
        resultEvents(results.messages).some((e) =>
          e.variants.some((v) => v.key.includes(`/${bumped}/`)),
        )
          ? true
          : undefined,
      { what: 'a result event with the new variants' },
    );
    await results.stop();
  });
});

describe('image processor: a transient S3 outage', () => {
  let world: ProcessorWorld;
  let server: ImageServer;
  let proxy: TcpProxy;
  let processor: Processor;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
    server.serve('/c.jpg', await image('#cccc00'), 'image/jpeg');
    const s3 = new URL(world.services.s3.endpoint);
    proxy = await createTcpProxy({ host: s3.hostname, port: Number(s3.port) });
    processor = await world.startProcessor({
      S3_ENDPOINT: `http://${proxy.address}`,
      RETRY_BASE_DELAY_MS: '300',
      JOB_MAX_ATTEMPTS: '2',
      OUTAGE_PROBE_MAX_DELAY_MS: '1000',
    });
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
    await proxy?.close();
  });

  it('waits it out without spending an attempt, then succeeds on the first one', async () => {
    const retries = await world.collect(world.topics.imageJobsRetry);
    proxy.cut();
    const { productId, jobs } = await world.createProduct([
      { kind: 'url', url: server.url('/c.jpg') },
    ]);
    await world.produceJobs(jobs);
    await waitFor(() => (processor.ctx.outage.paused ? true : undefined), {
      timeoutMs: 30_000,
      what: 'consuming to pause for S3',
    });
    expect(processor.ctx.outage.outages.map((o) => o.dependency)).toEqual(['s3']);
    // Longer than two attempts' backoff: before, the job would have been dead-lettered by now.
    await new Promise((r) => setTimeout(r, 3_000));
    const during = await findProduct(world.db, productId);
    expect(during?.images[0]?.status).toBe('processing');
    expect(during?.images[0]?.attempts).toBe(1);

    proxy.restore();
    const product = await world.waitForImages(productId, allSettled, 60_000);
    expect(product.images[0]?.status).toBe('ready');
    expect(product.images[0]?.attempts).toBe(1);
    expect(processor.ctx.outage.paused).toBe(false);
    expect(retries.messages).toEqual([]);
    await retries.stop();
  });
});

describe('image processor: two processes in one consumer group', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    world = await createProcessorWorld({ jobPartitions: 6 });
    server = await startImageServer();
    // 100 distinct sources: every job renders (no rendition hit), so a job costs real work.
    for (let i = 0; i < 100; i += 1) {
      server.serve(
        `/g${i}.jpg`,
        await image(
          `#${(i * 2).toString(16).padStart(2, '0')}4080`,
          80 + (i % 10),
          60 + Math.floor(i / 10),
        ),
        'image/jpeg',
      );
    }
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  it('share 100 jobs: every image ends ready once, even when one member leaves midway', async () => {
    const first = await world.startProcessor({ VARIANT_FORMATS: 'webp' });
    const second = await world.startProcessor({ VARIANT_FORMATS: 'webp' });
    const results = await world.collect(world.topics.imageResults);
    const products = await Promise.all(
      Array.from({ length: 10 }, (_, p) =>
        world.createProduct(
          Array.from({ length: 10 }, (_, i) => ({
            kind: 'url' as const,
            url: server.url(`/g${p * 10 + i}.jpg`),
          })),
        ),
      ),
    );
    await world.produceJobs(products.flatMap((p) => p.jobs));
    await waitFor(() => (resultEvents(results.messages).length >= 20 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'the first results',
    });
    // One member leaves: its partitions move to the other, which finishes the work.
    await first.stop();

    for (const { productId } of products) {
      const product = await world.waitForImages(
        productId,
        (s) => s.length === 10 && s.every((x) => x === 'ready'),
        120_000,
      );
      expect(new Set(product.images.map((i) => i.id)).size).toBe(10);
    }
    await waitFor(
      () =>
        new Set(resultEvents(results.messages).map((e) => e.imageId)).size >= 100
          ? true
          : undefined,
      {
        timeoutMs: 60_000,
        what: 'a result event for every image',
      },
    );
    const handledBySecond = await world.metricOf(second, 'zocket_image_jobs_total', {
      outcome: 'ready',
    });
    expect(handledBySecond).toBeGreaterThan(0);
    expect(handledBySecond).toBeLessThanOrEqual(100 + 10);
    await results.stop();
  });
});
