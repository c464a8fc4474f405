import { randomBytes } from 'node:crypto';
import { findBulkJob, type ImageJobRef, insertBulkItems, insertBulkJob } from '@zocket/db';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

function noise(width: number, height: number): Promise<Buffer> {
  return sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/*
 * The figure is 500 bulk items; 120 keep this test short on a shared 2-core machine while
 * the bulk run still lasts many times longer than a live job (the bench runs the full size).
 */
const BULK_ITEMS = 120;

describe('live jobs during a bulk run', () => {
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

  it('become ready while the bulk lane is still busy', async () => {
    const bulk: ImageJobRef[] = [];
    for (let i = 0; i < BULK_ITEMS; i++) {
      server.serve(`/bulk${i}.png`, await noise(480, 360), 'image/png');
      bulk.push(
        ...(await world.createProduct([{ kind: 'url', url: server.url(`/bulk${i}.png`) }])).jobs,
      );
    }
    const job = await world.db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 1000, total: BULK_ITEMS, createdBy: 'test' }),
      );
    await insertBulkItems(world.db, job.id, bulk);
    await world.produceBulkJobs(job.id, bulk);
    await world.startProcessor({
      PROCESSOR_LANES: 'live,bulk',
      PROCESSOR_CONCURRENCY: '2',
      BULK_CONCURRENCY: '1',
    });
    const recorded = async () => {
      const c = (await findBulkJob(world.db, job.id))?.counts;
      return c === undefined ? 0 : c.succeeded + c.failed + c.skipped + c.cancelled;
    };
    while ((await recorded()) < 3) await new Promise((r) => setTimeout(r, 100));

    // Live uploads arrive in the middle of the backfill.
    const live: { productId: string }[] = [];
    for (let i = 0; i < 3; i++) {
      server.serve(`/live${i}.png`, await noise(320, 240), 'image/png');
      const created = await world.createProduct([
        { kind: 'url', url: server.url(`/live${i}.png`) },
      ]);
      await world.produceJobs(created.jobs, 'created');
      live.push(created);
    }
    for (const { productId } of live) {
      const product = await world.waitForImages(
        productId,
        (s) => s.every((x) => x === 'ready'),
        60_000,
      );
      expect(product.images[0]?.status).toBe('ready');
    }
    const doneWhenLiveReady = await recorded();
    expect(doneWhenLiveReady).toBeLessThan(BULK_ITEMS);
  });
});
