import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { API_NODE_FLAGS, signDevToken } from '@zocket/api';
import { type Topics, topicNames } from '@zocket/contracts';
import { createDb, type Db, migrateToLatest } from '@zocket/db';
import {
  createTestDatabase,
  createTestTopics,
  freePort,
  repoRoot,
  servicesToEnv,
  type TestDatabase,
  type TestTopics,
} from '@zocket/testkit';
import { onInterrupt, spawnBenchChild, stopChildren } from './children.js';
import type { BenchConfig } from './config.js';
import type { KodakImage } from './kodak.js';
import { log, sleep } from './log.js';
import { PROBE_DIR, PROBE_IMPORT } from './probe.js';

/** The system under measurement: an API, an API with the cache off, one image processor. */
export interface BenchSystem {
  runId: string;
  db: Db;
  topics: Topics;
  apiUrl: string;
  apiUncachedUrl: string;
  imageBase: string;
  token: string;
  apiPid: number;
  processorPid: number;
  /** Starts a child process of the bench (stopped with the system). */
  redisUrl: string;
  spawnChild(name: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  stop(): Promise<void>;
}

export async function waitOk(url: string): Promise<void> {
  for (let i = 0; i < 300; i += 1) {
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === 200) return;
    await sleep(200);
  }
  throw new Error(`${url} never answered 200`);
}

/** Peak resident set (VmHWM) of a process, in MiB. */
export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * The PNG with a `tEXt` chunk naming `copy` before its IEND: the same pixels (the same rendering
 * work) under different bytes, so the processor's renditions (keyed by the source's sha256) do not
 * turn a repeated image into a cache hit.
 */
export function pngCopy(png: Buffer, copy: string): Buffer {
  const data = Buffer.concat([Buffer.from('zocket-copy\0', 'latin1'), Buffer.from(copy, 'latin1')]);
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
  const iend = png.length - 12;
  return Buffer.concat([png.subarray(0, iend), length, type, data, crc, png.subarray(iend)]);
}

/** Serves `/<name>`, and `/<name>?copy=<id>` as a copy with bytes of its own (see pngCopy). */
function serveImages(kodak: readonly KodakImage[]): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://bench');
    const item = kodak.find((k) => `/${k.name}` === url.pathname);
    if (!item) return void res.writeHead(404).end();
    const copy = url.searchParams.get('copy');
    const bytes = copy === null ? item.bytes : pngCopy(item.bytes, copy);
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({ server, base: `http://127.0.0.1:${port}` });
    }),
  );
}

export async function startSystem(
  config: BenchConfig,
  kodak: readonly KodakImage[],
): Promise<BenchSystem> {
  const { services } = config;
  const runId = `bench_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
  const database: TestDatabase = await createTestDatabase(services);
  const db = createDb({ url: database.url, max: 2 });
  await migrateToLatest(db);

  const prefix = `${runId}.`;
  const topics = topicNames(prefix);
  const createdTopics: TestTopics = await createTestTopics(
    services,
    // Every topic of the contracts, bulk lane and commands included (the API consumes commands).
    Object.entries(topics).map(([key, name]) => ({
      name,
      partitions: key.startsWith('imageJobs') && key !== 'imageJobsDlq' ? 12 : 1,
    })),
    { uniqueNames: false },
  );
  const images = await serveImages(kodak);
  const teardown = async () => {
    images.server.close();
    await db.destroy();
    await createdTopics.delete().catch(() => {});
    await database.drop();
  };
  const forgetTeardown = onInterrupt(teardown);

  const secret = randomUUID();
  const common: NodeJS.ProcessEnv = {
    ...(config.path === undefined ? {} : { PATH: config.path }),
    ...servicesToEnv(services),
    DATABASE_URL: database.url,
    CACHE_KEY_PREFIX: runId,
    KAFKA_TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    BENCH_PROBE_DIR: PROBE_DIR,
  };
  const children: ChildProcess[] = [];
  let stopping = false;
  const spawnChild = (name: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawnBenchChild(args, {
      env: { ...common, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('exit', (code) => {
      if (!stopping) log(`${name} exited early with ${code}`);
    });
    children.push(child);
    return child;
  };
  // Started as the start commands do, with the tracing bootstrap (and, for the API, its V8 flags);
  // no OTEL_* variable is set, so tracing is off and the figures are those of a production
  // process without it.
  const start = (
    name: string,
    entry: string,
    env: NodeJS.ProcessEnv,
    flags: readonly string[] = [],
  ) =>
    spawnChild(
      name,
      [...flags, '--import', '@zocket/telemetry/register', join(repoRoot(), entry)],
      env,
    );

  const apiPort = await freePort();
  // The API runs with the V8 flags it has in production (API_NODE_FLAGS), and the bench's probe,
  // idle until a load asks it (server-probe.ts).
  const api = start(
    'api',
    'services/api/dist/main.js',
    {
      PORT: String(apiPort),
      API_WORKERS: '1',
      AUTH_JWT_SECRET: secret,
      OUTBOX_POLL_INTERVAL_MS: '200',
      // The image server is on loopback: the API refuses such URLs unless allowlisted.
      FETCH_ALLOWLIST: '127.0.0.1',
    },
    [...API_NODE_FLAGS, ...PROBE_IMPORT],
  );
  const apiUncachedPort = await freePort();
  start(
    'api (cache off)',
    'services/api/dist/main.js',
    {
      PORT: String(apiUncachedPort),
      API_WORKERS: '1',
      AUTH_JWT_SECRET: secret,
      CACHE_ENABLED: 'false',
      FETCH_ALLOWLIST: '127.0.0.1',
    },
    API_NODE_FLAGS,
  );
  const processorPort = await freePort();
  const processor = start('image processor', 'services/image-processor/dist/main.js', {
    METRICS_PORT: String(processorPort),
    KAFKA_GROUP_ID: `${runId}-processors`,
    KAFKA_BULK_GROUP_ID: `${runId}-processors-bulk`,
    // The live lane only: this run measures it (the bulk section measures the bulk lane).
    PROCESSOR_LANES: 'live',
    FETCH_ALLOWLIST: '127.0.0.1',
    PROCESSOR_CONCURRENCY: String(config.concurrency),
    UV_THREADPOOL_SIZE: '8',
    PUBLIC_IMAGE_BASE_URL: `${services.s3.endpoint}/${services.s3.bucket}`,
    VARIANT_PROFILE_VERSION: runId.replace(/_/g, '-').slice(0, 32),
  });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const apiUncachedUrl = `http://127.0.0.1:${apiUncachedPort}`;
  await Promise.all([
    waitOk(`${apiUrl}/readyz`),
    waitOk(`${apiUncachedUrl}/readyz`),
    waitOk(`http://127.0.0.1:${processorPort}/readyz`),
  ]);
  // The API's defaults for issuer and audience (the bench sets only the secret).
  const token = await signDevToken({
    secret,
    issuer: 'zocket-local',
    audience: 'zocket-api',
    subject: 'bench',
  });

  return {
    runId,
    db,
    topics,
    apiUrl,
    apiUncachedUrl,
    imageBase: images.base,
    token,
    apiPid: api.pid as number,
    processorPid: processor.pid as number,
    redisUrl: services.redisUrl,
    spawnChild: (name, args, env) => spawnChild(name, args, env),
    async stop() {
      stopping = true;
      await stopChildren(children);
      forgetTeardown();
      await teardown();
    },
  };
}
