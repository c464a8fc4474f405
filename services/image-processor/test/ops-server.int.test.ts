import { createTcpProxy, type TcpProxy, viaProxy, waitFor } from '@zocket/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Processor } from '../src/service.js';
import { createProcessorWorld, type ProcessorWorld } from './processor-world.js';

describe('ops server: health and the two readiness views', () => {
  let world: ProcessorWorld;
  let proxy: TcpProxy;
  let processor: Processor;
  const get = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${processor.port()}${path}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    world = await createProcessorWorld();
    const url = new URL(world.services.redisUrl);
    proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    // Redis through a proxy the test can cut; the ops server on a free port.
    processor = await world.startProcessor({
      METRICS_PORT: '0',
      REDIS_URL: viaProxy(world.services.redisUrl, proxy),
    });
  });
  afterAll(async () => {
    await world?.close();
    await proxy?.close();
  });

  it('answers /healthz, /readyz (joined, PostgreSQL, Kafka) and /readyz/all (also Redis) with 200', async () => {
    expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await get('/readyz')).toEqual({
      status: 200,
      body: { status: 'ready', postgres: 'ok', kafka: 'ok', consumer: 'ok' },
    });
    expect(await get('/readyz/all')).toEqual({
      status: 200,
      body: { status: 'ready', postgres: 'ok', kafka: 'ok', consumer: 'ok', redis: 'ok' },
    });
  });

  it('stays ready without Redis, while /readyz/all reports it', async () => {
    proxy.cut();
    try {
      const all = await waitFor(
        async () => {
          const res = await get('/readyz/all');
          return res.status === 503 ? res : undefined;
        },
        { timeoutMs: 10_000, what: '/readyz/all to report Redis down' },
      );
      expect(all.body).toMatchObject({ status: 'not ready', postgres: 'ok', consumer: 'ok' });
      expect(all.body.redis).not.toBe('ok');
      expect((await get('/readyz')).status).toBe(200);
    } finally {
      proxy.restore();
    }
    await waitFor(async () => ((await get('/readyz/all')).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      what: '/readyz/all to recover after Redis returns',
    });
  });
});
