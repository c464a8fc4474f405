import { randomUUID } from 'node:crypto';
import { findBulkJob, insertBulkItems, insertBulkJob } from '@zocket/db';
import { uniqueName, waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replayDlq } from '../src/dlq/dlq-replay.js';
import {
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

describe('DLQ replay of bulk items', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
    await world.startProcessor({ PROCESSOR_LANES: 'bulk' });
  });
  afterAll(async () => {
    await world?.close();
    await server?.close();
  });

  it('replays one bulk job’s dead letters to the bulk lane; the item keeps its one outcome', async () => {
    const path = `/late-${randomUUID()}.png`;
    const { productId, jobs } = await world.createProduct([{ kind: 'url', url: server.url(path) }]);
    const job = await world.db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 10, total: 1, createdBy: 'test' }),
      );
    await insertBulkItems(world.db, job.id, jobs);
    const bulkTopic = await world.collect(world.topics.imageJobsBulk);
    await world.produceBulkJobs(job.id, jobs);
    await waitFor(
      async () => ((await findBulkJob(world.db, job.id))?.counts.failed === 1 ? true : undefined),
      { timeoutMs: 30_000, what: 'the item to fail (404)' },
    );

    server.serve(
      path,
      await sharp({ create: { width: 40, height: 30, channels: 3, background: '#00aa00' } })
        .png()
        .toBuffer(),
      'image/png',
    );
    const replay = (bulkJobId: string) =>
      replayDlq({
        kafka: world.kafka,
        producer: world.producer,
        topics: world.topics,
        groupId: uniqueName('replay'),
        dryRun: false,
        filter: { bulkJobId },
      });
    expect(await replay(randomUUID())).toEqual({ scanned: 1, replayed: 0, skipped: 1 });
    expect(await replay(job.id)).toEqual({ scanned: 1, replayed: 1, skipped: 0 });
    const fixed = await world.waitForImages(productId, (s) => s.every((x) => x === 'ready'));
    expect(fixed.images[0]?.variants.length).toBeGreaterThan(0);
    expect(
      bulkTopic.messages.filter((m) => m.headers['x-replayed-from-dlq'] === 'true'),
    ).toHaveLength(1);
    expect((await findBulkJob(world.db, job.id))?.counts).toMatchObject({
      failed: 1,
      succeeded: 0,
    });
    await bulkTopic.stop();
  });
});
