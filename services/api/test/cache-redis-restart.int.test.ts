import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CACHE_ENTRY, cacheKeys } from '@zocket/contracts';
import { freePort } from '@zocket/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiWorld, createApiWorld, type Json, newSubject, waitFor } from './api-world.js';

/*
 * The drill: a Redis of this test's own that writes a snapshot, crashes (kill -9) and comes back
 * from that snapshot, as a managed Redis may. "Never stale after a write" must survive it.
 */
let dir: string;
let port: number;
let server: ChildProcess | undefined;
let admin: Redis;
let world: ApiWorld;

async function startRedis(): Promise<void> {
  // Persistence only by the test's explicit SAVE, so the snapshot holds exactly what it chose.
  server = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
    ],
    { stdio: 'ignore' },
  );
  await waitFor(
    async () => ((await admin.ping().catch(() => undefined)) === 'PONG' ? true : undefined),
    { timeoutMs: 10_000, intervalMs: 50, what: 'the test Redis to answer' },
  );
}

async function crashRedis(): Promise<void> {
  const s = server;
  if (s === undefined || s.exitCode !== null) return;
  const exited = new Promise((resolve) => s.once('exit', resolve));
  s.kill('SIGKILL');
  await exited;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zocket-redis-drill-'));
  port = await freePort();
  admin = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 });
  admin.on('error', () => {});
  await startRedis();
  world = await createApiWorld({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
});

afterAll(async () => {
  await world?.close();
  admin?.disconnect();
  await crashRedis();
  await rm(dir, { recursive: true, force: true });
});

/** A product read over HTTP: a hit takes the cached-read fast path, a miss the procedures. */
async function readOverHttp(id: string): Promise<Json> {
  return (await fetch(`${world.baseUrl}/products/${id}`)).json() as Promise<Json>;
}

/** Until the API knows the run id of the Redis it is connected to (hits are checked against it). */
async function runIdKnown(what: string): Promise<void> {
  await waitFor(() => (world.api.ctx.cache.knowsRunId ? true : undefined), {
    timeoutMs: 5_000,
    intervalMs: 20,
    what,
  });
}

/** Redis saves its snapshot, then the product is renamed: the snapshot holds the older entry. */
async function snapshotThenRename(
  token: string,
  product: { id: string; version: number },
  name: string,
): Promise<void> {
  expect(await admin.save()).toBe('OK');
  const updated = await world.call('PATCH', `/products/${product.id}`, {
    token,
    body: { expectedVersion: product.version, name },
  });
  expect(updated.status).toBe(200);
  expect((await readOverHttp(product.id)).name).toBe(name);
}

describe('a Redis restored from a snapshot', () => {
  it('never serves the version the snapshot holds once a newer one was written', async () => {
    const token = await world.token(newSubject());
    const product = await world.createProduct(token, { name: 'Before the snapshot' });
    const read = () => readOverHttp(product.id);

    expect((await read()).name).toBe('Before the snapshot');
    expect((await read()).name).toBe('Before the snapshot'); // a hit: the entry is in Redis
    await snapshotThenRename(token, product, 'After the snapshot');

    await crashRedis();
    await startRedis();
    // The snapshot brought back the old entry: the API must not serve it once it reconnects.
    expect(await admin.dbsize()).toBeGreaterThan(0);
    await waitFor(() => (world.api.ctx.redis.status === 'ready' ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: 'the API to reconnect to Redis',
    });
    for (let i = 0; i < 3; i++) {
      const body = await read();
      expect(body.name).toBe('After the snapshot');
      expect(body.version).toBe(product.version + 1);
    }
    // Once the API knows the restarted instance's run id, reads check entries against it.
    await runIdKnown('the API to learn the run id of the restarted Redis');
    expect((await read()).name).toBe('After the snapshot');
    // And the cache works again: a read stored the new version in the restarted Redis.
    const cached = await admin.get(cacheKeys(world.cachePrefix).product(product.id));
    expect(JSON.parse((cached as string).slice(CACHE_ENTRY.runIdLength)).name).toBe(
      'After the snapshot',
    );
  });

  it('does not serve a read in flight at the crash that ioredis resent to the restored instance', async () => {
    const token = await world.token(newSubject());
    const product = await world.createProduct(token, { name: 'In the snapshot' });
    const read = () => readOverHttp(product.id);
    expect((await read()).name).toBe('In the snapshot');
    await runIdKnown('the API to learn the run id of its Redis');
    expect(String(await world.api.ctx.cache.peek(product.id))).toContain('In the snapshot'); // a hit
    await snapshotThenRename(token, product, 'Written after it');

    // Redis freezes with the next cached read in flight, dies and comes back from the snapshot;
    // ioredis reconnects and resends the read, which meets the snapshot's entry there.
    server?.kill('SIGSTOP');
    const inFlight = world.api.ctx.cache.peek(product.id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await crashRedis();
    await startRedis();
    const answered = await inFlight;
    expect(String(answered ?? '')).not.toContain('In the snapshot');
    expect((await read()).name).toBe('Written after it');
  });
});
