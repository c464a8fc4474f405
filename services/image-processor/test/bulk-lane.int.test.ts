import { randomBytes } from 'node:crypto';
import {
  countBulkItemsByState,
  countRenditions,
  findBulkJob,
  type ImageJobRef,
  insertBulkItems,
  insertBulkJob,
  transitionBulkJob,
} from '@zocket/db';
import { waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allSettled,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

/** A small PNG with random pixels: distinct bytes every call. */
function noisePng(width = 24, height = 16): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

describe('image processor: the bulk lane and renditions', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  /** Products of one image each, served by the test's image server; returns their jobs. */
  async function imagesFrom(sources: Buffer[]): Promise<ImageJobRef[]> {
    const jobs: ImageJobRef[] = [];
    for (const [i, bytes] of sources.entries()) {
      const path = `/${Math.random().toString(36).slice(2)}-${i}.png`;
      server.serve(path, bytes, 'image/png');
      const { jobs: created } = await world.createProduct([{ kind: 'url', url: server.url(path) }]);
      jobs.push(...created);
    }
    return jobs;
  }

  /** A bulk job over these jobs' images, as the dispatcher would write it. */
  async function bulkJob(jobs: ImageJobRef[]): Promise<string> {
    const job = await world.db.transaction().execute((trx) =>
      insertBulkJob(trx, {
        filter: {},
        maxInFlight: 1000,
        total: jobs.length,
        createdBy: 'test',
      }),
    );
    await insertBulkItems(world.db, job.id, jobs);
    await world.db
      .updateTable('bulk_jobs')
      .set({ dispatched: jobs.length })
      .where('id', '=', job.id)
      .execute();
    return job.id;
  }

  const finished = (id: string, n: number) =>
    waitFor(
      async () => {
        const job = await findBulkJob(world.db, id);
        const c = job?.counts;
        return c !== undefined && c.succeeded + c.failed + c.skipped + c.cancelled >= n
          ? job
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: `${n} bulk items recorded` },
    );

  it('records each outcome once: redeliveries count nothing twice; 404s fail, deleted images skip', async () => {
    await world.startProcessor({ PROCESSOR_LANES: 'bulk', BULK_CONCURRENCY: '2' });
    const good = await imagesFrom(await Promise.all([1, 2, 3, 4, 5].map(() => noisePng())));
    const { jobs: missing } = await world.createProduct([
      { kind: 'url', url: server.url('/does-not-exist.png') },
    ]);
    const { productId: goneProduct, jobs: gone } = await world.createProduct([
      { kind: 'url', url: server.url('/gone.png') },
    ]);
    await world.db.deleteFrom('products').where('id', '=', goneProduct).execute();
    const all = [...good, ...missing, ...gone];
    const id = await bulkJob(all);
    await world.produceBulkJobs(id, all);
    const job = await finished(id, all.length);
    expect(job.counts).toMatchObject({ succeeded: 5, failed: 1, skipped: 1, cancelled: 0 });

    // Every message again: the items are no longer dispatched, so nothing is counted twice.
    const before = await world.processorMetric('zocket_image_jobs_total', {});
    await world.produceBulkJobs(id, all);
    await waitFor(
      async () =>
        (await world.processorMetric('zocket_image_jobs_total', {})) >= before + all.length
          ? true
          : undefined,
      { timeoutMs: 60_000, what: 'the redeliveries to be handled' },
    );
    expect((await findBulkJob(world.db, id))?.counts).toMatchObject({
      succeeded: 5,
      failed: 1,
      skipped: 1,
    });
    expect(await countBulkItemsByState(world.db, id)).toEqual({
      succeeded: 5,
      failed: 1,
      skipped: 1,
    });
    const product = await world.waitForImages(good[0]?.productId ?? '', allSettled);
    expect(product.images[0]?.status).toBe('ready');
    await transitionBulkJob(world.db, id, ['running'], 'completed');
  });

  it('skips the items of a cancelled job without rendering them', async () => {
    const jobs = await imagesFrom(await Promise.all([1, 2, 3].map(() => noisePng())));
    const id = await bulkJob(jobs);
    await transitionBulkJob(world.db, id, ['running'], 'cancelling');
    const renditions = await countRenditions(world.db, world.profileVersion);
    await world.produceBulkJobs(id, jobs);
    const job = await finished(id, 3);
    expect(job.counts).toMatchObject({ cancelled: 3, succeeded: 0 });
    expect(await countRenditions(world.db, world.profileVersion)).toBe(renditions);
    await transitionBulkJob(world.db, id, ['cancelling'], 'cancelled');
  });

  it('renders each distinct source once over 200 images of which 50 repeat earlier bytes', async () => {
    const distinct = await Promise.all(Array.from({ length: 150 }, () => noisePng()));
    const sources = [...distinct, ...distinct.slice(0, 50)];
    const jobs = await imagesFrom(sources);
    const id = await bulkJob(jobs);
    const before = await countRenditions(world.db, world.profileVersion);
    const missesBefore = await world.processorMetric('zocket_image_renditions_total', {
      result: 'miss',
    });
    await world.produceBulkJobs(id, jobs);
    const job = await finished(id, 200);
    expect(job.counts).toMatchObject({ succeeded: 200, failed: 0 });
    expect((await countRenditions(world.db, world.profileVersion)) - before).toBe(150);
    expect(
      (await world.processorMetric('zocket_image_renditions_total', { result: 'miss' })) -
        missesBefore,
    ).toBe(150);
    // Images sharing bytes list identical variants.
    const rows = await world.db
      .selectFrom('product_images')
      .select(['content_hash', 'variants', 'profile_version'])
      .where(
        'id',
        'in',
        [jobs[0], jobs[150]].map((j) => j?.imageId ?? ''),
      )
      .execute();
    expect(rows[0]?.content_hash).toBe(rows[1]?.content_hash);
    expect(rows[0]?.variants).toEqual(rows[1]?.variants);
    expect(rows[0]?.profile_version).toBe(world.profileVersion);
    await transitionBulkJob(world.db, id, ['running'], 'completed');
  });
});
