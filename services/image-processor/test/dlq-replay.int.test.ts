import { randomUUID } from 'node:crypto';
import { uniqueName, waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ReplayFilter, replayDlq } from '../src/dlq/dlq-replay.js';
import {
  allSettled,
  type CollectedMessage,
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

describe('DLQ replay: which runs move the replay group on', () => {
  let world: ProcessorWorld;
  let server: ImageServer;

  beforeEach(async () => {
    world = await createProcessorWorld({ jobPartitions: 1 });
    server = await startImageServer();
    await world.startProcessor();
  });
  afterEach(async () => {
    await world?.close();
    await server?.close();
  });

  /** A product whose only image is dead-lettered (its source answers 404 until `fix`). */
  async function deadLetteredProduct() {
    const path = `/late-${randomUUID()}.jpg`;
    const { productId, jobs } = await world.createProduct([{ kind: 'url', url: server.url(path) }]);
    await world.produceJobs(jobs, 'created');
    const failed = await world.waitForImages(productId, allSettled);
    expect(failed.images[0]?.status).toBe('failed');
    const fix = async () =>
      server.serve(
        path,
        await sharp({ create: { width: 40, height: 30, channels: 3, background: '#0000aa' } })
          .jpeg()
          .toBuffer(),
        'image/jpeg',
      );
    return { productId, fix };
  }

  const replay = (groupId: string, dryRun: boolean, filter: ReplayFilter = {}) =>
    replayDlq({
      kafka: world.kafka,
      producer: world.producer,
      topics: world.topics,
      groupId,
      dryRun,
      filter,
    });

  const replayedJobs = (messages: CollectedMessage[]) =>
    messages.filter((m) => m.headers['x-replayed-from-dlq'] === 'true');

  it('reports a dead-lettered job in a dry run without replaying it; a real run with the same group then replays it', async () => {
    const jobs = await world.collect(world.topics.imageJobs);
    const { productId, fix } = await deadLetteredProduct();
    const groupId = uniqueName('replay');

    expect(await replay(groupId, true)).toEqual({ scanned: 1, replayed: 1, skipped: 0 });

    await fix();
    expect(await replay(groupId, false)).toEqual({ scanned: 1, replayed: 1, skipped: 0 });
    const fixed = await world.waitForImages(productId, (s) => s.every((x) => x === 'ready'));
    expect(fixed.images[0]?.variants.length).toBeGreaterThan(0);
    // Both runs wrote to the same partition in order: once the real run's message is seen, a
    // message from the dry run would have been seen too.
    await waitFor(() => (replayedJobs(jobs.messages).length >= 1 ? true : undefined), {
      what: 'the replayed job on image-jobs',
    });
    expect(replayedJobs(jobs.messages)).toHaveLength(1);

    // The real run committed: the same group has nothing left to replay.
    expect(await replay(groupId, false)).toEqual({ scanned: 0, replayed: 0, skipped: 0 });
    await jobs.stop();
  });

  it('commits nothing in a filtered run, so a later unfiltered run with the same group still replays the job', async () => {
    const { productId, fix } = await deadLetteredProduct();
    await fix();
    const groupId = uniqueName('replay');

    expect(await replay(groupId, false, { productId: randomUUID() })).toEqual({
      scanned: 1,
      replayed: 0,
      skipped: 1,
    });
    expect(await replay(groupId, false)).toEqual({ scanned: 1, replayed: 1, skipped: 0 });
    const fixed = await world.waitForImages(productId, (s) => s.every((x) => x === 'ready'));
    expect(fixed.images[0]?.variants.length).toBeGreaterThan(0);
  });
});
