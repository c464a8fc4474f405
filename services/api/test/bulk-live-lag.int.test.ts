import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject, uniqueName, waitFor } from './api-world.js';

describe('bulk dispatcher and the live lane', () => {
  let world: ApiWorld;
  const liveGroup = uniqueName('zt-live');

  beforeAll(async () => {
    world = await createApiWorld({
      env: { BULK_TICK_MS: '50', BULK_YIELD_LIVE_LAG: '2', BULK_LIVE_GROUP_ID: liveGroup },
    });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('holds while the live group lags behind image-jobs, and goes on once it caught up', async () => {
    const seller = await world.token(newSubject('seller'));
    const operator = await world.token(newSubject('ops'), { roles: ['operator'] });
    // Five live jobs nobody consumes: the live group's lag is 5, over the threshold of 2.
    const product = await world.createProduct(seller, {
      imageUrls: [1, 2, 3, 4, 5].map((n) => `https://img.example.com/${randomUUID()}/${n}.jpg`),
    });
    const tap = await world.tapTopic(world.topics.imageJobs);
    await waitFor(() => (tap.records.length >= 5 ? true : undefined), {
      what: 'live jobs in Kafka',
    });

    const started = await world.call('POST', '/bulk/jobs', {
      token: operator,
      body: { filter: { productIds: [product.id] } },
    });
    const id: string = started.body.id;
    const holds = async () =>
      (await world.api.ctx.metrics.bulkHolds.get()).values.find(
        (v) => v.labels.reason === 'live_lag',
      )?.value ?? 0;
    await waitFor(async () => ((await holds()) >= 3 ? true : undefined), {
      what: 'the dispatcher to hold',
    });
    expect(
      (await world.call('GET', `/bulk/jobs/${id}`, { token: operator })).body.counts.dispatched,
    ).toBe(0);

    // The live processors catch up (their group commits the end offsets): dispatching starts.
    const admin = new Kafka({
      clientId: 'lag-test',
      brokers: world.services.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(world.topics.imageJobs);
      await admin.setOffsets({
        groupId: liveGroup,
        topic: world.topics.imageJobs,
        partitions: ends.map((p) => ({ partition: p.partition, offset: p.high })),
      });
    } finally {
      await admin.disconnect();
    }
    const job = await waitFor(
      async () => {
        const body = (await world.call('GET', `/bulk/jobs/${id}`, { token: operator })).body;
        return body.counts.dispatched === 5 ? body : undefined;
      },
      { timeoutMs: 15_000, what: 'dispatching after the live lane caught up' },
    );
    expect(job.counts.dispatched).toBe(5);
    await world.call('POST', `/bulk/jobs/${id}/cancel`, { token: operator });
  });
});
