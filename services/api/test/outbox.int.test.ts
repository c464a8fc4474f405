import { randomUUID } from 'node:crypto';
import { HEADERS, type ImageJobEventV1, parseImageJobEvent } from '@zocket/contracts';
import type { KafkaRecord, TopicTap } from '@zocket/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject, waitFor } from './api-world.js';

let world: ApiWorld;
let jobs: TopicTap;
let owner: string;

beforeAll(async () => {
  world = await createApiWorld();
  jobs = await world.tapTopic(world.topics.imageJobs);
  owner = await world.token(newSubject('outbox'));
});

afterAll(async () => {
  await world?.close();
});

function event(record: KafkaRecord): ImageJobEventV1 {
  const parsed = parseImageJobEvent(record.value);
  if (!parsed.ok) throw new Error(`invalid image job on Kafka: ${parsed.error}`);
  return parsed.value;
}

async function jobsFor(productId: string, count: number, what: string): Promise<KafkaRecord[]> {
  return waitFor(
    () => {
      const mine = jobs.records.filter((r) => r.key === productId);
      return mine.length >= count ? mine : undefined;
    },
    { timeoutMs: 20_000, what },
  );
}

async function outboxRows(productId: string) {
  const result = await sql<{
    published_at: Date | null;
    topic: string;
    headers: Record<string, string>;
  }>`
    select published_at, topic, headers from outbox where message_key = ${productId} order by id`.execute(
    world.api.ctx.db,
  );
  return result.rows;
}

async function backlogMetric(): Promise<number> {
  const text = await (await world.request('/metrics')).text();
  return Number(/^zocket_outbox_backlog (\d+)/m.exec(text)?.[1]);
}

describe('image jobs through the outbox', () => {
  it('publishes one valid job per image of a created product, keyed by product, with the request id', async () => {
    const requestId = `req-${randomUUID()}`;
    const res = await world.call('POST', '/products', {
      token: owner,
      headers: { 'x-request-id': requestId },
      body: {
        name: 'Outboxed',
        price: { amountMinor: 500, currency: 'EUR' },
        imageUrls: ['https://cdn.example.com/1.jpg', 'https://cdn.example.com/2.jpg'],
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    const product = res.body;

    const records = await jobsFor(product.id, 2, 'two image jobs');
    expect(records).toHaveLength(2);
    expect(records.every((r) => r.topic === world.topics.imageJobs)).toBe(true);
    for (const record of records) {
      expect(record.headers[HEADERS.correlationId]).toBe(requestId);
      expect(record.headers[HEADERS.eventType]).toBe('image.job.v1');
    }
    const events = records.map(event);
    expect(events.map((e) => e.imageId).sort()).toEqual(
      product.images.map((i: { id: string }) => i.id).sort(),
    );
    expect(events.map((e) => e.source)).toEqual(
      expect.arrayContaining([
        { kind: 'url', url: 'https://cdn.example.com/1.jpg' },
        { kind: 'url', url: 'https://cdn.example.com/2.jpg' },
      ]),
    );
    expect(events.every((e) => e.productId === product.id && e.reason === 'created')).toBe(true);
    expect(new Set(events.map((e) => e.jobId)).size).toBe(2);

    await waitFor(
      async () =>
        (await outboxRows(product.id)).every((r) => r.published_at !== null) ? true : undefined,
      {
        what: 'outbox rows to be marked published',
      },
    );
  });

  it('writes the jobs in the same transaction as the product: rows exist as soon as the create returns', async () => {
    await world.api.relay.stop();
    try {
      const product = await world.createProduct(owner, {
        imageUrls: ['https://cdn.example.com/t.jpg'],
      });
      const rows = await outboxRows(product.id);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ published_at: null, topic: world.topics.imageJobs });
      expect(await backlogMetric()).toBeGreaterThanOrEqual(1);
      // Nothing reaches Kafka while the relay is stopped...
      await new Promise((r) => setTimeout(r, 500));
      expect(jobs.records.filter((r) => r.key === product.id)).toHaveLength(0);
      // ...and the waiting row goes out once it runs again.
      world.api.relay.start();
      await jobsFor(product.id, 1, 'the job held in the outbox');
      await waitFor(async () => ((await backlogMetric()) === 0 ? true : undefined), {
        what: 'an empty backlog',
      });
    } finally {
      world.api.relay.start();
    }
  });

  it('writes no job for a product without images, nor for a refused create', async () => {
    const product = await world.createProduct(owner, { imageUrls: [] });
    expect(await outboxRows(product.id)).toHaveLength(0);
    const before = await sql<{ n: string }>`select count(*) as n from outbox`.execute(
      world.api.ctx.db,
    );
    const refused = await world.call('POST', '/products', {
      token: owner,
      body: {
        name: 'x',
        price: { amountMinor: -1, currency: 'EUR' },
        imageUrls: ['https://cdn.example.com/r.jpg'],
      },
    });
    expect(refused.status).toBe(400);
    const after = await sql<{ n: string }>`select count(*) as n from outbox`.execute(
      world.api.ctx.db,
    );
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('enqueues jobs only for the new images when an update replaces them', async () => {
    const product = await world.createProduct(owner, {
      imageUrls: ['https://cdn.example.com/old.jpg'],
    });
    await jobsFor(product.id, 1, 'the create job');
    const requestId = `req-${randomUUID()}`;
    const res = await world.call('PATCH', `/products/${product.id}`, {
      token: owner,
      headers: { 'x-request-id': requestId },
      body: {
        expectedVersion: 1,
        imageUrls: ['https://cdn.example.com/new-a.jpg', 'https://cdn.example.com/new-b.jpg'],
      },
    });
    expect(res.status).toBe(200);
    const records = await jobsFor(product.id, 3, 'the update jobs');
    const updates = records.filter((r) => event(r).reason === 'updated');
    expect(updates).toHaveLength(2);
    expect(updates.map((r) => r.headers[HEADERS.correlationId])).toEqual([requestId, requestId]);
    expect(updates.map((r) => event(r).imageId).sort()).toEqual(
      res.body.images.map((i: { id: string }) => i.id).sort(),
    );
  });

  it('does not enqueue jobs for an update that keeps the images', async () => {
    const product = await world.createProduct(owner, {
      imageUrls: ['https://cdn.example.com/keep.jpg'],
    });
    const res = await world.call('PATCH', `/products/${product.id}`, {
      token: owner,
      body: { expectedVersion: 1, name: 'Only the name' },
    });
    expect(res.status).toBe(200);
    expect(await outboxRows(product.id)).toHaveLength(1);
  });

  it('publishes a new job per image on reprocess, each with a fresh job id', async () => {
    const product = await world.createProduct(owner, {
      imageUrls: ['https://cdn.example.com/r1.jpg', 'https://cdn.example.com/r2.jpg'],
    });
    const created = (await jobsFor(product.id, 2, 'create jobs')).map(event);
    const requestId = `req-${randomUUID()}`;
    const res = await world.call('POST', `/products/${product.id}/reprocess`, {
      token: owner,
      headers: { 'x-request-id': requestId },
    });
    expect(res.status).toBe(200);
    const all = await jobsFor(product.id, 4, 'reprocess jobs');
    const reprocess = all.filter((r) => event(r).reason === 'reprocess');
    expect(reprocess).toHaveLength(2);
    expect(reprocess.every((r) => r.headers[HEADERS.correlationId] === requestId)).toBe(true);
    const createdJobIds = new Set(created.map((e) => e.jobId));
    expect(reprocess.map(event).some((e) => createdJobIds.has(e.jobId))).toBe(false);
  });

  it('reports an empty backlog once everything is published', async () => {
    await waitFor(async () => ((await backlogMetric()) === 0 ? true : undefined), {
      what: 'an empty backlog',
    });
    const text = await (await world.request('/metrics')).text();
    expect(Number(/^zocket_outbox_published_total (\d+)/m.exec(text)?.[1])).toBeGreaterThan(0);
  });
});
