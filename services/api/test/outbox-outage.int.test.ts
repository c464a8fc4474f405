import { randomUUID } from 'node:crypto';
import { HEADERS, parseImageJobEvent } from '@zocket/contracts';
import { type DedicatedKafka, startDedicatedKafka } from '@zocket/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject, waitFor } from './api-world.js';

/* Kafka is stopped and restarted here, so this file gets a broker of its own. */

let kafka: DedicatedKafka;
let world: ApiWorld;

beforeAll(async () => {
  kafka = await startDedicatedKafka();
  world = await createApiWorld({ kafkaBrokers: kafka.brokers });
}, 120_000);

afterAll(async () => {
  await world?.close();
  await kafka?.close();
}, 60_000);

describe('when Kafka is down', () => {
  it('still accepts a create, and publishes its job after Kafka restarts', async () => {
    const owner = await world.token(newSubject('outage'));
    // Readiness asks Kafka over one kept connection, not a new one per probe.
    const admins = vi.spyOn(world.api.ctx.kafka, 'admin');
    for (let i = 0; i < 3; i += 1) {
      const all = await world.call('GET', '/readyz/all');
      expect(all.status, JSON.stringify(all.body)).toBe(200);
    }
    expect(admins).toHaveBeenCalledTimes(1);
    await kafka.kill();

    const requestId = `req-${randomUUID()}`;
    const res = await world.call('POST', '/products', {
      token: owner,
      headers: { 'x-request-id': requestId },
      body: {
        name: 'Made during a Kafka outage',
        price: { amountMinor: 1999, currency: 'EUR' },
        imageUrls: ['https://cdn.example.com/outage.jpg'],
      },
    });
    expect(res.status).toBe(200);
    const product = res.body;

    const unpublished = await sql<{ n: string }>`
      select count(*) as n from outbox where message_key = ${product.id} and published_at is null`.execute(
      world.api.ctx.db,
    );
    expect(unpublished.rows[0]?.n).toBe('1');
    const all = await world.call('GET', '/readyz/all');
    expect(all.status).toBe(503);
    expect(all.body.kafka).not.toBe('ok');
    // Jobs wait in the outbox: the API can still serve, so it stays in rotation.
    expect((await world.call('GET', '/readyz')).status).toBe(200);

    await kafka.start();
    const jobs = await world.tapTopic(world.topics.imageJobs);
    const record = await jobs.waitFor(
      (r) => r.key === product.id,
      'the job held during the outage',
      75_000,
    );
    expect(record.headers[HEADERS.correlationId]).toBe(requestId);
    const parsed = parseImageJobEvent(record.value);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect(parsed.value).toMatchObject({
        productId: product.id,
        imageId: product.images[0].id,
        reason: 'created',
        source: { kind: 'url', url: 'https://cdn.example.com/outage.jpg' },
      });
    }
    await waitFor(
      async () => {
        const left = await sql<{ n: string }>`
          select count(*) as n from outbox where message_key = ${product.id} and published_at is null`.execute(
          world.api.ctx.db,
        );
        return left.rows[0]?.n === '0' ? true : undefined;
      },
      // A send that reached the broker but reported an error during its restart is sent again after
      // the relay's backoff (at most 30 s); the row is marked published then.
      { timeoutMs: 45_000, what: 'the outbox row to be marked published' },
    );
    // The probe's connection was dropped with the broker; the view recovers on a new one.
    await waitFor(
      async () => ((await world.call('GET', '/readyz/all')).status === 200 ? true : undefined),
      { timeoutMs: 20_000, what: '/readyz/all to answer 200 again' },
    );
    admins.mockRestore();
  }, 150_000);
});
