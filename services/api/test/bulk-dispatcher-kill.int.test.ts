import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { HEADERS } from '@zocket/contracts';
import { recordBulkItemOutcome } from '@zocket/db';
import { childProcessEnv, servicesToEnv } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, type Json, newSubject, waitFor } from './api-world.js';

const MAIN = join(import.meta.dirname, '..', 'dist', 'main.js');

describe('bulk dispatcher killed with SIGKILL mid-run', () => {
  let world: ApiWorld;
  let operator: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The in-process API serves requests only; the dispatching happens in child processes.
    world = await createApiWorld({ env: { BULK_DISPATCHER_ENABLED: 'false' } });
    operator = await world.token(newSubject('ops'), { roles: ['operator'] });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await world?.close();
  });

  function dispatcherProcess(): ChildProcess {
    const child = spawn(process.execPath, [MAIN], {
      env: childProcessEnv({
        ...servicesToEnv(world.services),
        DATABASE_URL: world.config.db.url,
        CACHE_KEY_PREFIX: world.cachePrefix,
        KAFKA_TOPIC_PREFIX: world.config.kafka.topicPrefix,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        BULK_TICK_MS: '20',
        BULK_PAGE_SIZE: '3',
        BULK_YIELD_LIVE_LAG: '100000',
        BULK_COMMANDS_ENABLED: 'false',
      }),
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  }

  it('dispatches every item exactly once and ends with exact counts', async () => {
    const seller = await world.token(newSubject('seller'));
    const productIds: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = await world.createProduct(seller, {
        imageUrls: Array.from(
          { length: 15 },
          (_, n) => `https://img.example.com/${randomUUID()}/${n}.jpg`,
        ),
      });
      productIds.push(p.id);
    }
    const started = await world.call('POST', '/bulk/jobs', {
      token: operator,
      body: { filter: { productIds }, maxInFlight: 6 },
    });
    const id: string = started.body.id;
    expect(started.body.counts.total).toBe(60);
    const db = world.api.ctx.db;
    const getJob = async (): Promise<Json> =>
      (await world.call('GET', `/bulk/jobs/${id}`, { token: operator })).body;
    let shard = 0;
    const finishSome = async () => {
      const open = await db
        .selectFrom('bulk_job_items')
        .select('image_id')
        .where('bulk_job_id', '=', id)
        .where('state', '=', 'dispatched')
        .limit(2)
        .execute();
      for (const item of open) {
        shard += 1;
        await recordBulkItemOutcome(db, {
          bulkJobId: id,
          imageId: item.image_id,
          outcome: 'succeeded',
          shard,
        });
      }
    };

    // The processors' part is played here, two items at a time, while dispatchers come and go.
    const first = dispatcherProcess();
    await waitFor(
      async () => {
        await finishSome();
        return (await getJob()).counts.dispatched >= 24 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: 'the first dispatcher to get going' },
    );
    first.kill('SIGKILL');
    const atKill = (await getJob()).counts.dispatched;
    expect(atKill).toBeLessThan(60);
    dispatcherProcess();
    dispatcherProcess(); // two replicas from here on
    const done = await waitFor(
      async () => {
        await finishSome();
        const job = await getJob();
        return job.status === 'completed' ? job : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 10, what: 'the job to complete' },
    );
    expect(done.counts).toEqual({
      total: 60,
      dispatched: 60,
      succeeded: 60,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    });
    const rows = await db
      .selectFrom('outbox')
      .select('payload')
      .where('topic', '=', world.topics.imageJobsBulk)
      .where(({ ref, eb }) => eb(ref('headers', '->>').key(HEADERS.bulkJobId), '=', id))
      .execute();
    const imageIds = rows.map((r) => (r.payload as { imageId: string }).imageId);
    expect(imageIds).toHaveLength(60);
    expect(new Set(imageIds).size).toBe(60);
  });
});
