import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_NODE_FLAGS } from '@zocket/api';
import { freePort } from '@zocket/testkit';
import autocannon from 'autocannon';
import { log, round } from '../log.js';
import { PROBE_IMPORT, type ProbeReport, pinned, probed } from '../probe.js';
import { cpuMsByProcess } from '../proc-cpu.js';
import { type BenchSystem, waitOk } from '../system.js';

export interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU (the process and its workers, from /proc) per request, when measured. */
  cpuUs?: number;
  /** Cores the server kept busy (its CPU time / wall time), when measured. */
  serverCores?: number;
  /** Cores the load generator (this process) kept busy. */
  loaderCores: number;
  /** CPU ms of each server process (a cluster's primary first), when measured. */
  processCpuMs?: number[];
  /** What the server saw during the load (its GC pauses, its event loop's delay), when probed. */
  server?: ProbeReport;
}

const CONNECTIONS = 50;
const TAIL_CONNECTIONS = 100;
const WARMUP_SECONDS = 1;

async function load(
  label: string,
  url: string,
  duration: number,
  options: { connections?: number; serverPid?: number; probePid?: number } = {},
): Promise<Load> {
  await fetch(url); // fills the cache where there is one
  const connections = options.connections ?? CONNECTIONS;
  // A second of load first, not measured: the first load against a process used to pay for its
  // JIT warm-up and initial heap growth (REST cached, measured first, more than tRPC after it).
  await autocannon({ url, connections, pipelining: 1, duration: WARMUP_SECONDS });
  const pid = options.serverPid;
  const before = pid === undefined ? undefined : cpuMsByProcess(pid);
  const loaderBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const run = () => autocannon({ url, connections, pipelining: 1, duration });
  const [result, server] =
    options.probePid === undefined ? [await run(), undefined] : await probed(options.probePid, run);
  const wallMs = performance.now() - wallBefore;
  const loader = process.cpuUsage(loaderBefore);
  const after = pid === undefined ? undefined : cpuMsByProcess(pid);
  // Per process: the primary first, then its workers by pid.
  const processCpuMs =
    before === undefined || after === undefined || pid === undefined
      ? undefined
      : [...after]
          .sort(([a], [b]) => (a === pid ? -1 : b === pid ? 1 : a - b))
          .map(([p, ms]) => ms - (before.get(p) ?? 0));
  const cpuMs = processCpuMs === undefined ? 0 : processCpuMs.reduce((a, b) => a + b, 0);
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const requests = result.requests.total;
  const cpuUs =
    options.serverPid === undefined || requests === 0
      ? undefined
      : round((cpuMs * 1000) / requests, 0);
  log(
    `${label} (${connections} connections): ${round(result.requests.average, 0)} req/s, p50/p99 ${result.latency.p50}/${result.latency.p99} ms${cpuUs === undefined ? '' : `, ${cpuUs} µs CPU/request`}`,
  );
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ...(cpuUs === undefined ? {} : { cpuUs, serverCores: round(cpuMs / wallMs, 2) }),
    loaderCores: round((loader.user + loader.system) / 1000 / wallMs, 2),
    ...(processCpuMs === undefined ? {} : { processCpuMs }),
    ...(server === undefined ? {} : { server }),
  };
}

const tail = (x: Load) => ({
  p50: x.p50,
  p99: x.p99,
  p99OverP50: round(x.p99 / Math.max(x.p50, 1), 1),
  ...(x.server === undefined ? {} : { server: x.server }),
});

/**
 * The read path: byId through REST and tRPC, cache warm and cache off, against two ceilings in
 * their own processes: a bare Hono route answering the same JSON from memory, and one doing a
 * single ioredis GET of the same bytes. Then the tail at 100 connections per route, and the
 * cached REST read with one API worker per core. Returns the `api` key.
 */
export async function apiSection(system: BenchSystem, productId: string, duration: number) {
  const productJson: unknown = await (await fetch(`${system.apiUrl}/products/${productId}`)).json();
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'zocket-bench-')), 'product.json');
  writeFileSync(bodyFile, JSON.stringify(productJson));
  const ceilingPort = await freePort();
  const ceilingProcess = system.spawnChild('ceiling', [
    ...PROBE_IMPORT,
    join(import.meta.dirname, '..', 'ceiling-server.js'),
    bodyFile,
    String(ceilingPort),
  ]);
  const redisCeilingPort = await freePort();
  const redisCeilingArgs = (port: number) => [
    join(import.meta.dirname, '..', 'redis-ceiling-server.js'),
    bodyFile,
    String(port),
    system.redisUrl,
    `${system.runId}:redis-ceiling`,
  ];
  const redisCeilingProcess = system.spawnChild('redis ceiling', [
    ...PROBE_IMPORT,
    ...redisCeilingArgs(redisCeilingPort),
  ]);
  // The one-GET route again under the API's own V8 flags (API_NODE_FLAGS, which trade CPU for
  // memory): against it, REST and tRPC compare code with code.
  const redisCeilingApiFlagsPort = await freePort();
  const redisCeilingApiFlagsProcess = system.spawnChild('redis ceiling (API flags)', [
    ...API_NODE_FLAGS,
    ...redisCeilingArgs(redisCeilingApiFlagsPort),
  ]);
  const allCoresPort = await freePort();
  const allCoresProcess = system.spawnChild(
    'api (all cores)',
    [
      ...API_NODE_FLAGS,
      join(import.meta.dirname, '..', '..', '..', '..', 'services', 'api', 'dist', 'main.js'),
    ],
    { PORT: String(allCoresPort), API_WORKERS: String(cpus().length) },
  );
  const ceilingUrl = `http://127.0.0.1:${ceilingPort}/products/${productId}`;
  const redisCeilingUrl = `http://127.0.0.1:${redisCeilingPort}/products/${productId}`;
  const redisCeilingApiFlagsUrl = `http://127.0.0.1:${redisCeilingApiFlagsPort}/products/${productId}`;
  const allCoresUrl = `http://127.0.0.1:${allCoresPort}/products/${productId}`;
  await waitOk(ceilingUrl);
  await waitOk(redisCeilingUrl);
  await waitOk(redisCeilingApiFlagsUrl);
  await waitOk(allCoresUrl);

  const trpcPath = `/trpc/products.byId?input=${encodeURIComponent(JSON.stringify({ id: productId }))}`;
  const restUrl = `${system.apiUrl}/products/${productId}`;
  const trpcUrl = `${system.apiUrl}${trpcPath}`;
  const apiPid = system.apiPid;
  const ceiling = await load('bare Hono route', ceilingUrl, duration, {
    serverPid: ceilingProcess.pid as number,
  });
  const redisCeiling = await load('Hono route + one ioredis GET', redisCeilingUrl, duration, {
    serverPid: redisCeilingProcess.pid as number,
  });
  const redisCeilingApiFlags = await load(
    "Hono route + one ioredis GET, the API's V8 flags",
    redisCeilingApiFlagsUrl,
    duration,
    { serverPid: redisCeilingApiFlagsProcess.pid as number },
  );
  const restCached = await load('REST byId, cache warm', restUrl, duration, { serverPid: apiPid });
  const trpcCached = await load('tRPC byId, cache warm', trpcUrl, duration, { serverPid: apiPid });
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
  // The tails, each with what the server saw (server-probe.ts), then the one-GET route and REST
  // again with the server's event loop and the load generator pinned to a core each: a tail that shrinks there
  // came from the two sharing cores, not from the server.
  const at100 = (pid: number) => ({ connections: TAIL_CONNECTIONS, probePid: pid });
  const ceilingPid = ceilingProcess.pid as number;
  const redisCeilingPid = redisCeilingProcess.pid as number;
  const ceiling100 = await load('bare Hono route', ceilingUrl, duration, at100(ceilingPid));
  const redisCeiling100 = await load(
    'Hono route + one ioredis GET',
    redisCeilingUrl,
    duration,
    at100(redisCeilingPid),
  );
  const rest100 = await load('REST byId, cache warm', restUrl, duration, at100(apiPid));
  const trpc100 = await load('tRPC byId, cache warm', trpcUrl, duration, at100(apiPid));
  const redisCeiling100Pinned = await pinned(redisCeilingPid, () =>
    load('Hono route + one ioredis GET, pinned', redisCeilingUrl, duration, at100(redisCeilingPid)),
  );
  const rest100Pinned = await pinned(apiPid, () =>
    load('REST byId, cache warm, pinned', restUrl, duration, at100(apiPid)),
  );
  const allCores = await load(
    `REST byId, cache warm, ${cpus().length} workers`,
    allCoresUrl,
    duration,
    {
      serverPid: allCoresProcess.pid as number,
    },
  );

  const ratio = (x: Load, to: Load = ceiling) => round(x.rps / to.rps, 3);
  const projected = (x: Load, cores: number) =>
    x.cpuUs === undefined ? undefined : round((cores * 1e6) / x.cpuUs, 0);
  const cpuRatio = (x: Load, to: Load) =>
    x.cpuUs === undefined || to.cpuUs === undefined ? undefined : round(to.cpuUs / x.cpuUs, 3);
  return {
    api: {
      connections: CONNECTIONS,
      durationSeconds: duration,
      ceiling,
      redisCeiling,
      restCached,
      trpcCached,
      restUncached,
      trpcUncached,
      restCachedRatio: ratio(restCached),
      trpcCachedRatio: ratio(trpcCached),
      restUncachedRatio: ratio(restUncached),
      trpcUncachedRatio: ratio(trpcUncached),
      restCachedRedisRatio: ratio(restCached, redisCeiling),
      trpcCachedRedisRatio: ratio(trpcCached, redisCeiling),
      restCachedCpuUs: restCached.cpuUs,
      trpcCachedCpuUs: trpcCached.cpuUs,
      ceilingCpuUs: ceiling.cpuUs,
      redisCeilingCpuUs: redisCeiling.cpuUs,
      /** Ceiling CPU per request ÷ the route's: the share of the route's CPU the ceiling needs. */
      restCachedCpuRatio: cpuRatio(restCached, ceiling),
      trpcCachedCpuRatio: cpuRatio(trpcCached, ceiling),
      restCachedRedisCpuRatio: cpuRatio(restCached, redisCeiling),
      trpcCachedRedisCpuRatio: cpuRatio(trpcCached, redisCeiling),
      /** The one-GET route under API_NODE_FLAGS, and REST and tRPC against it (req/s; CPU). */
      redisCeilingApiFlags,
      restCachedRedisApiFlagsRatio: ratio(restCached, redisCeilingApiFlags),
      trpcCachedRedisApiFlagsRatio: ratio(trpcCached, redisCeilingApiFlags),
      restCachedRedisApiFlagsCpuRatio: cpuRatio(restCached, redisCeilingApiFlags),
      trpcCachedRedisApiFlagsCpuRatio: cpuRatio(trpcCached, redisCeilingApiFlags),
      tailAt100: {
        ceiling: tail(ceiling100),
        redisCeiling: tail(redisCeiling100),
        restCached: tail(rest100),
        trpcCached: tail(trpc100),
      },
      /** The same loads with the server's event loop on core 0 and the load generator on core 1. */
      tailAt100Pinned:
        redisCeiling100Pinned === undefined || rest100Pinned === undefined
          ? undefined
          : { redisCeiling: tail(redisCeiling100Pinned), restCached: tail(rest100Pinned) },
      restCachedAllCoresRps: round(allCores.rps, 0),
      restCachedAllCoresCpuUs: allCores.cpuUs,
      workers: cpus().length,
      /*
       * What the cores could give, from CPU rather than req/s: the load generator shares these
       * cores and keeps most of one busy (loaderCores), so measured req/s cannot show a second
       * API worker's gain. Projected req/s = cores x 1 s / server CPU per request, each figure
       * measured in its own load (the all-cores one includes the cluster primary's CPU).
       */
      allCores: {
        oneWorker: {
          serverCores: restCached.serverCores,
          loaderCores: restCached.loaderCores,
          projectedRpsPerCore: projected(restCached, 1),
        },
        workers: {
          serverCores: allCores.serverCores,
          loaderCores: allCores.loaderCores,
          processCpuMs: allCores.processCpuMs,
          projectedRps: projected(allCores, cpus().length),
        },
      },
    },
  };
}
