import type { Server } from 'node:http';
import { createLogger } from '@zocket/service-kit';
import { freePort, servicesToEnv, testServices } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createProcessorContext, type ProcessorContext } from '../src/context.js';
import { createOpsServer } from '../src/observability/ops-server.js';

/*
 * A member that joined its group keeps "consuming" while kafkajs retries a lost broker: readiness
 * must ask Kafka itself. The context's brokers are a port nobody listens on.
 */
let ctx: ProcessorContext;
let server: Server;
let port: number;

beforeAll(async () => {
  const deadBroker = `127.0.0.1:${await freePort()}`;
  ctx = createProcessorContext(
    loadConfig({ ...servicesToEnv(testServices()), KAFKA_BROKERS: deadBroker }),
    createLogger('zocket-api', 'silent'),
  );
  server = createOpsServer(ctx, () => true);
  port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await ctx?.kafkaProbe.stop();
  ctx?.redis.disconnect();
  ctx?.s3.destroy();
  await ctx?.db.destroy();
});

describe('the processor readiness check', () => {
  it('answers 503 naming Kafka when no broker answers, though the member still runs', async () => {
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, string>;
    expect(body.postgres).toBe('ok');
    expect(body.kafka).not.toBe('ok');
    expect(Date.now() - started).toBeLessThan(5_000);
    // The failed probe let its connection go: the next one tries afresh, and fails the same way.
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
  });
});
