import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  countBulkItemsByState,
  findBulkJob,
  type ImageJobRef,
  insertBulkItems,
  insertBulkJob,
} from '@zocket/db';
import { childProcessEnv, waitFor } from '@zocket/testkit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProcessorWorld,
  type ImageServer,
  type ProcessorWorld,
  startImageServer,
} from './processor-world.js';

const MAIN = join(import.meta.dirname, '..', 'dist', 'main.js');

describe('bulk lane: a processor killed with SIGKILL mid-run', () => {
  let world: ProcessorWorld;
  let server: ImageServer;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    world = await createProcessorWorld();
    server = await startImageServer();
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await world?.close();
    await server?.close();
  });

  it('loses no item and counts none twice', async () => {
    const total = 40;
    const jobs: ImageJobRef[] = [];
    for (let i = 0; i < total; i++) {
      // Big enough that a render takes a while, so the kill lands mid-run.
      const bytes = await sharp(randomBytes(480 * 320 * 3), {
        raw: { width: 480, height: 320, channels: 3 },
      })
        .png()
        .toBuffer();
      server.serve(`/k${i}.png`, bytes, 'image/png');
      jobs.push(
        ...(await world.createProduct([{ kind: 'url', url: server.url(`/k${i}.png`) }])).jobs,
      );
    }
    const job = await world.db
      .transaction()
      .execute((trx) =>
        insertBulkJob(trx, { filter: {}, maxInFlight: 1000, total, createdBy: 'test' }),
      );
    await insertBulkItems(world.db, job.id, jobs);
    await world.db
      .updateTable('bulk_jobs')
      .set({ dispatched: total })
      .where('id', '=', job.id)
      .execute();
    await world.produceBulkJobs(job.id, jobs);

    child = spawn(process.execPath, [MAIN], {
      env: childProcessEnv({
        ...world.env,
        PROCESSOR_LANES: 'bulk',
        BULK_CONCURRENCY: '2',
        LOG_LEVEL: 'silent',
      }),
      stdio: 'ignore',
    });
    const recorded = async () => {
      const c = (await findBulkJob(world.db, job.id))?.counts;
      return c === undefined ? 0 : c.succeeded + c.failed + c.skipped + c.cancelled;
    };
    await waitFor(async () => ((await recorded()) >= 5 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'the child processor to record some items',
    });
    child.kill('SIGKILL');
    const atKill = await recorded();
    expect(atKill).toBeLessThan(total);

    // A new member takes the partitions over (after the dead one's session times out).
    await world.startProcessor({ PROCESSOR_LANES: 'bulk', BULK_CONCURRENCY: '2' });
    const finished = await waitFor(
      async () => {
        const found = await findBulkJob(world.db, job.id);
        const c = found?.counts;
        return c !== undefined && c.succeeded + c.failed + c.skipped + c.cancelled >= total
          ? found
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'every item to be recorded' },
    );
    // Redeliveries of what the killed member had in flight (and had not committed) change nothing.
    await new Promise((r) => setTimeout(r, 1_000));
    const final = await findBulkJob(world.db, job.id);
    expect(final?.counts).toEqual({ ...finished.counts });
    expect(final?.counts).toMatchObject({ succeeded: total, failed: 0, skipped: 0, cancelled: 0 });
    expect(await countBulkItemsByState(world.db, job.id)).toEqual({ succeeded: total });
  });
});
