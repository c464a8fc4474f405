import { randomUUID } from 'node:crypto';
import { HEADERS } from '@zocket/contracts';
import { recordBulkItemOutcome } from '@zocket/db';
import { createLogger } from '@zocket/service-kit';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../src/api.js';
import { type ApiWorld, createApiWorld, type Json, newSubject, waitFor } from './api-world.js';

describe('bulk reprocessing in the API (dispatcher, procedures, commands)', () => {
  let world: ApiWorld;
  let operator: string;
  let seller: string;
  let sellerToken: string;
  const productIds: string[] = [];

  beforeAll(async () => {
    world = await createApiWorld({
      env: { BULK_TICK_MS: '50', BULK_YIELD_LIVE_LAG: '100000', BULK_COMMANDS_ENABLED: 'true' },
    });
    operator = await world.token(newSubject('ops'), { roles: ['operator'] });
    seller = newSubject('seller');
    sellerToken = await world.token(seller);
    for (let i = 0; i < 4; i++) {
      const p = await world.createProduct(sellerToken, {
        imageUrls: [1, 2, 3].map((n) => `https://img.example.com/${randomUUID()}/${n}.jpg`),
      });
      productIds.push(p.id);
    }
  });
  afterAll(async () => {
    await world?.close();
  });

  const db = () => world.api.ctx.db;
  const bulkOutbox = async (jobId: string) =>
    db()
      .selectFrom('outbox')
      .select(['payload', 'headers'])
      .where('topic', '=', world.topics.imageJobsBulk)
      .where(({ ref, eb }) => eb(ref('headers', '->>').key(HEADERS.bulkJobId), '=', jobId))
      .execute();
  const openItems = (jobId: string) =>
    db()
      .selectFrom('bulk_job_items')
      .select('image_id')
      .where('bulk_job_id', '=', jobId)
      .where('state', '=', 'dispatched')
      .execute();
  const finishOpen = async (jobId: string, outcome: 'succeeded' | 'cancelled' = 'succeeded') => {
    for (const [i, item] of (await openItems(jobId)).entries()) {
      await recordBulkItemOutcome(db(), {
        bulkJobId: jobId,
        imageId: item.image_id,
        outcome,
        shard: i,
      });
    }
  };
  const getJob = async (id: string): Promise<Json> =>
    (await world.call('GET', `/bulk/jobs/${id}`, { token: operator })).body;
  const waitJob = (id: string, done: (job: Json) => boolean, what: string) =>
    waitFor(
      async () => {
        const job = await getJob(id);
        return done(job) ? job : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 50, what },
    );

  it('refuses sellers (403 FORBIDDEN, tRPC FORBIDDEN) and anonymous callers (401)', async () => {
    const rest = await world.call('POST', '/bulk/jobs', { token: sellerToken, body: {} });
    expect(rest.status).toBe(403);
    expect(rest.body.error.code).toBe('FORBIDDEN');
    const anonymous = await world.call('GET', '/bulk/jobs');
    expect(anonymous.status).toBe(401);
    const trpc = await world.call('POST', '/trpc/bulk.start', { token: sellerToken, body: {} });
    expect(trpc.status).toBe(403);
    expect(trpc.body.error.data.code).toBe('FORBIDDEN');
    expect(trpc.body.error.data.appCode).toBe('FORBIDDEN');
    const list = await world.call('GET', '/bulk/jobs', { token: operator });
    expect(list.body).toEqual({ items: [], nextCursor: null });
  });

  it('previews, windows the dispatch, pauses, resumes and completes with exact counts', async () => {
    const filter = { productIds };
    const preview = await world.call('POST', '/bulk/preview', {
      token: operator,
      body: { filter },
    });
    expect(preview.body).toEqual({ total: 12 });

    const started = await world.call('POST', '/bulk/jobs', {
      token: operator,
      body: { filter, maxInFlight: 5 },
    });
    expect(started.status).toBe(200);
    const id: string = started.body.id;
    expect(started.body).toMatchObject({ status: 'running', kind: 'reprocess', maxInFlight: 5 });
    expect(started.body.counts.total).toBe(12);

    const second = await world.call('POST', '/bulk/jobs', { token: operator, body: { filter } });
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('CONFLICT');
    const secondTrpc = await world.call('POST', '/trpc/bulk.start', {
      token: operator,
      body: { filter },
    });
    expect(secondTrpc.body.error.data.code).toBe('CONFLICT');

    // The window: five items out, and no more while none of them finishes.
    await waitJob(id, (j) => j.counts.dispatched === 5, 'five dispatched');
    await new Promise((r) => setTimeout(r, 400));
    expect((await getJob(id)).counts.dispatched).toBe(5);
    const rows = await bulkOutbox(id);
    expect(rows).toHaveLength(5);
    expect(rows[0]?.payload).toMatchObject({ type: 'image.job', reason: 'reprocess' });
    expect(rows[0]?.headers[HEADERS.correlationId]).toBe(id);

    // Pause freezes dispatching even when the window has room.
    const paused = await world.call('POST', `/bulk/jobs/${id}/pause`, { token: operator });
    expect(paused.body.status).toBe('paused');
    await finishOpen(id);
    await new Promise((r) => setTimeout(r, 400));
    expect((await getJob(id)).counts).toMatchObject({ dispatched: 5, succeeded: 5 });
    expect((await world.call('POST', `/bulk/jobs/${id}/pause`, { token: operator })).status).toBe(
      200,
    );

    const resumed = await world.call('POST', `/trpc/bulk.resume`, {
      token: operator,
      body: { id },
    });
    expect(resumed.body.result.data.status).toBe('running');
    await waitJob(id, (j) => j.counts.dispatched === 10, 'ten dispatched');
    await finishOpen(id);
    await waitJob(id, (j) => j.counts.dispatched === 12, 'all dispatched');
    await finishOpen(id);
    const done = await waitJob(id, (j) => j.status === 'completed', 'completed');
    expect(done.counts).toEqual({
      total: 12,
      dispatched: 12,
      succeeded: 12,
      failed: 0,
      skipped: 0,
      cancelled: 0,
    });
    expect(done.finishedAt).not.toBeNull();
    const imageIds = (await bulkOutbox(id)).map((r) => (r.payload as { imageId: string }).imageId);
    expect(new Set(imageIds).size).toBe(12);
    expect((await world.call('POST', `/bulk/jobs/${id}/pause`, { token: operator })).status).toBe(
      409,
    );
  });

  it('cancels mid-run: dispatching stops, in-flight items end cancelled, then the job', async () => {
    const started = await world.call('POST', '/bulk/jobs', {
      token: operator,
      body: { filter: { productIds }, maxInFlight: 4 },
    });
    const id: string = started.body.id;
    await waitJob(id, (j) => j.counts.dispatched === 4, 'four dispatched');
    const cancelling = await world.call('POST', `/bulk/jobs/${id}/cancel`, { token: operator });
    expect(cancelling.body.status).toBe('cancelling');
    await new Promise((r) => setTimeout(r, 300));
    expect((await getJob(id)).status).toBe('cancelling');
    await finishOpen(id, 'cancelled');
    const done = await waitJob(id, (j) => j.status === 'cancelled', 'cancelled');
    expect(done.counts).toMatchObject({ total: 12, dispatched: 4, cancelled: 4, succeeded: 0 });
    expect(
      (await world.call('POST', `/bulk/jobs/${id}/cancel`, { token: operator })).body.status,
    ).toBe('cancelled');
  });

  it('dispatches each item once with two API processes ticking the same job', async () => {
    const other = createApi(world.config, createLogger('zocket-api', 'silent'));
    await other.start();
    try {
      const started = await world.call('POST', '/bulk/jobs', {
        token: operator,
        body: { filter: { productIds }, maxInFlight: 3 },
      });
      const id: string = started.body.id;
      for (let round = 0; round < 6; round++) {
        await new Promise((r) => setTimeout(r, 150));
        await finishOpen(id);
      }
      const done = await waitFor(
        async () => {
          await finishOpen(id);
          const job = await getJob(id);
          return job.status === 'completed' ? job : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100, what: 'completed with two dispatchers' },
      );
      expect(done.counts).toMatchObject({ total: 12, dispatched: 12, succeeded: 12 });
      const imageIds = (await bulkOutbox(id)).map(
        (r) => (r.payload as { imageId: string }).imageId,
      );
      expect(imageIds).toHaveLength(12);
      expect(new Set(imageIds).size).toBe(12);
    } finally {
      await other.stop();
    }
  });

  it('streams progress over SSE until the job ends', async () => {
    const started = await world.call('POST', '/bulk/jobs', {
      token: operator,
      body: { filter: { productIds: [randomUUID()] } },
    });
    const id: string = started.body.id;
    const input = encodeURIComponent(JSON.stringify({ id }));
    const response = await fetch(`${world.baseUrl}/trpc/bulk.onProgress?input=${input}`, {
      headers: { authorization: `Bearer ${operator}`, accept: 'text/event-stream' },
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text(); // ends after the terminal status
    const events = text
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l.length > 6)
      .map((l) => JSON.parse(l.slice(6)) as Json)
      .filter((d) => d?.id === id);
    expect(events.at(-1)?.status).toBe('completed');
    expect(text).toMatch(/^id: completed\.0\.0\.0\.0\.0\.0$/m);
  });

  it('applies command events once, and dead-letters invalid and rejected ones with a reason', async () => {
    const kafka = new Kafka({
      clientId: 'bulk-cmd-test',
      brokers: world.services.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    const dlq = await world.tapTopic(world.topics.bulkCommandsDlq);
    try {
      const base = {
        type: 'bulk.command',
        version: 1,
        requestedBy: 'catalog-sync',
        requestedAt: new Date().toISOString(),
      };
      const start = {
        ...base,
        command: 'start',
        idempotencyKey: `k-${randomUUID()}`,
        filter: { productIds: [productIds[0]] },
        maxInFlight: 50,
      };
      const send = (value: unknown) =>
        producer.send({
          topic: world.topics.bulkCommands,
          messages: [{ key: 'k', value: JSON.stringify(value) }],
        });
      await send(start);
      await send(start); // duplicate
      await send({ ...base, command: 'explode', idempotencyKey: 'bad' });
      await send({
        ...base,
        command: 'pause',
        idempotencyKey: `k-${randomUUID()}`,
        jobId: randomUUID(),
      });

      const invalid = await dlq.waitFor(
        (r) => r.headers[HEADERS.errorCode] === 'INVALID_COMMAND',
        'invalid command in DLQ',
      );
      expect(invalid.headers[HEADERS.error]).toMatch(/command/);
      const rejected = await dlq.waitFor(
        (r) => r.headers[HEADERS.errorCode] === 'NOT_FOUND',
        'rejected command in DLQ',
      );
      expect(rejected.headers[HEADERS.error]).toMatch(/not found/);

      const jobs = await waitFor(
        async () => {
          const list = await world.call('GET', '/bulk/jobs?limit=50', { token: operator });
          const fromKafka = list.body.items.filter(
            (j: Json) => j.createdBy === 'kafka:catalog-sync',
          );
          return fromKafka.length > 0 ? fromKafka : undefined;
        },
        { timeoutMs: 20_000, what: 'the job started by a command' },
      );
      expect(jobs).toHaveLength(1);
      expect(jobs[0].counts.total).toBe(3);
      await waitFor(
        async () =>
          ((await world.api.ctx.metrics.bulkCommands.get()).values.find(
            (v) => v.labels.result === 'duplicate',
          )?.value ?? 0) >= 1
            ? true
            : undefined,
        { timeoutMs: 10_000, what: 'the duplicate to be seen' },
      );
      expect(dlq.records).toHaveLength(2);
      const cancel = await world.call('POST', `/bulk/jobs/${jobs[0].id}/cancel`, {
        token: operator,
      });
      expect(cancel.status).toBe(200);
    } finally {
      await producer.disconnect();
    }
  });
});
