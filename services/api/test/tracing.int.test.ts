import { SpanKind } from '@zocket/telemetry';
import { randomHexId, recordSpans, type SpanRecorder } from '@zocket/telemetry/testing';
import type { TopicTap } from '@zocket/testkit';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, newSubject, waitFor } from './api-world.js';

// A provider registered before the API is created, as the register entry does before main.ts:
// the API then mounts @hono/otel.
let recorder: SpanRecorder;
let world: ApiWorld;
let jobs: TopicTap;
let owner: string;

beforeAll(async () => {
  recorder = recordSpans();
  world = await createApiWorld();
  jobs = await world.tapTopic(world.topics.imageJobs);
  owner = await world.token(newSubject('tracing'));
});

afterAll(async () => {
  await world?.close();
  await recorder?.stop();
});

describe('one trace from the request to the Kafka message', () => {
  it('continues the caller traceparent, and carries it through the outbox row into image-jobs', async () => {
    const traceId = randomHexId(16);
    const callerSpanId = randomHexId(8);
    const res = await world.call('POST', '/products', {
      token: owner,
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: {
        name: 'Traced mug',
        description: '',
        price: { amountMinor: 1999, currency: 'EUR' },
        imageUrls: ['https://example.com/traced.jpg'],
      },
    });
    expect(res.status).toBe(200);
    const productId: string = res.body.id;

    const server = recorder.spans().find((s) => s.name === 'POST /products');
    expect(server?.kind).toBe(SpanKind.SERVER);
    expect(server?.spanContext().traceId).toBe(traceId);
    expect(server?.parentSpanContext?.spanId).toBe(callerSpanId);
    const procedure = recorder.spans().find((s) => s.name === 'trpc products.create');
    expect(procedure?.attributes['rpc.method']).toBe('products.create');
    expect(procedure?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);

    // The row carries a context of this trace (the procedure's span, the innermost at the write).
    const rows = await sql<{ headers: Record<string, string> }>`
      select headers from outbox where message_key = ${productId}`.execute(world.api.ctx.db);
    expect(rows.rows).toHaveLength(1);
    const traceparent = rows.rows[0]?.headers.traceparent;
    expect(traceparent).toBe(`00-${traceId}-${procedure?.spanContext().spanId}-01`);

    // The relay copies it to Kafka unchanged (no kafkajs instrumentation in the API).
    const record = await jobs.waitFor((r) => r.key === productId, 'the image job');
    expect(record.headers.traceparent).toBe(traceparent);

    // Its batch span is a trace of its own, linked to this one.
    const batch = await waitFor(
      () =>
        recorder
          .spans()
          .find(
            (s) =>
              s.name === 'publish outbox' && s.links.some((l) => l.context.traceId === traceId),
          ),
      { timeoutMs: 10_000, what: 'the relay batch span' },
    );
    expect(batch.kind).toBe(SpanKind.PRODUCER);
    expect(batch.spanContext().traceId).not.toBe(traceId);
  });

  it('names server spans by the bounded route label, cached reads included', async () => {
    const product = await world.createProduct(owner);
    recorder.reset();
    for (let i = 0; i < 2; i += 1) {
      expect((await world.call('GET', `/products/${product.id}`)).status).toBe(200);
    }
    expect((await world.call('GET', '/no/such/path')).status).toBe(404);
    const names = recorder
      .spans()
      .filter((s) => s.kind === SpanKind.SERVER)
      .map((s) => s.name);
    expect(names).toEqual(['GET /products/:id', 'GET /products/:id', 'GET (unmatched)']);
  });

  it('gives a cache hit answered in front of the app one server span too, in the caller trace', async () => {
    const product = await world.createProduct(owner);
    await world.api.ctx.cache.invalidate(product.id);
    recorder.reset();
    const traceIds = [randomHexId(16), randomHexId(16)];
    for (const traceId of traceIds) {
      // Over the network: only real HTTP requests reach the fast path.
      const res = await fetch(`${world.baseUrl}/products/${product.id}`, {
        headers: { traceparent: `00-${traceId}-${randomHexId(8)}-01` },
      });
      expect(res.status).toBe(200);
    }
    const servers = recorder.spans().filter((s) => s.kind === SpanKind.SERVER);
    // The miss is the app's span; the hit is the fast path's (marked), never both for one request.
    expect(servers.map((s) => [s.name, s.spanContext().traceId])).toEqual([
      ['GET /products/:id', traceIds[0]],
      ['GET /products/:id', traceIds[1]],
    ]);
    expect(servers[0]?.attributes['zocket.cache']).toBeUndefined();
    expect(servers[1]?.attributes).toMatchObject({
      'zocket.cache': 'hit',
      'http.route': '/products/:id',
      'http.response.status_code': 200,
    });
  });
});
