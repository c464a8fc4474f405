import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@zocket/testkit';
import autocannon from 'autocannon';
import { log, round } from '../log.js';
import { type BenchSystem, waitOk } from '../system.js';

export interface Load {
  rps: number;
  p50: number;
  p99: number;
}

const CONNECTIONS = 50;

async function load(label: string, url: string, duration: number): Promise<Load> {
  await fetch(url); // warm (fills the cache where there is one)
  const result = await autocannon({ url, connections: CONNECTIONS, pipelining: 1, duration });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  log(`${label}: ${round(result.requests.average, 0)} req/s`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * The read path: byId through REST and tRPC, cache warm and cache off, against a bare Hono route
 * answering the same JSON from memory (its own process). Returns the `api` key.
 */
export async function apiSection(system: BenchSystem, productId: string, duration: number) {
  const productJson: unknown = await (await fetch(`${system.apiUrl}/products/${productId}`)).json();
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'zocket-bench-')), 'product.json');
  writeFileSync(bodyFile, JSON.stringify(productJson));
  const ceilingPort = await freePort();
  system.spawnChild('ceiling', [
    join(import.meta.dirname, '..', 'ceiling-server.js'),
    bodyFile,
    String(ceilingPort),
  ]);
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}/products/${productId}`;
  await waitOk(ceilingUrl);

  const trpcPath = `/trpc/products.byId?input=${encodeURIComponent(JSON.stringify({ id: productId }))}`;
  const ceiling = await load('bare Hono route', ceilingUrl, duration);
  const restCached = await load(
    'REST byId, cache warm',
    `${system.apiUrl}/products/${productId}`,
    duration,
  );
  const trpcCached = await load('tRPC byId, cache warm', `${system.apiUrl}${trpcPath}`, duration);
  const restUncached = await load(
    'REST byId, cache off',
    `${system.apiUncachedUrl}/products/${productId}`,
    duration,
  );
  const trpcUncached = await load(
    'tRPC byId, cache off',
    `${system.apiUncachedUrl}${trpcPath}`,
    duration,
  );
  const ratio = (x: Load) => round(x.rps / ceiling.rps, 3);
  return {
    api: {
      connections: CONNECTIONS,
      durationSeconds: duration,
      ceiling,
      restCached,
      trpcCached,
      restUncached,
      trpcUncached,
      restCachedRatio: ratio(restCached),
      trpcCachedRatio: ratio(trpcCached),
      restUncachedRatio: ratio(restUncached),
      trpcUncachedRatio: ratio(trpcUncached),
    },
  };
}
