#!/usr/bin/env node
// Processor fault and memory figures, printed as JSON on stdout (progress on stderr):
//   processor.killStallMs      how much longer a batch of jobs takes to finish when one of the two
//                              group members is killed (-9) as it is produced, than the same batch
//                              with both alive (same run)
//   rss.processorAfter2000Mb   the processor's resident set after BENCH_RSS_IMAGES (2,000) Kodak
//                              images, with the allocator the images ship (jemalloc)
// Env: the services' variables (or infra/local/up is run), IMAGE_FIXTURES (folder with kodak/),
// BENCH_RSS_IMAGES (2000), BENCH_ALLOCATOR (jemalloc | glibc | arena2, to compare),
// KAFKA_SESSION_TIMEOUT_MS (the processor's default unless set, to compare).
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicNames } from '@zocket/contracts';
import { createDb, migrateToLatest } from '@zocket/db';
import { SignJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (...parts) => process.stderr.write(`[bench-faults] ${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

if (!process.env.DATABASE_URL) {
  log('DATABASE_URL unset: running infra/local/up');
  const out = execFileSync(join(root, 'infra/local/up'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) process.env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
}
const env = process.env;
const rssImages = Number(env.BENCH_RSS_IMAGES ?? 2000);
const allocator = env.BENCH_ALLOCATOR ?? 'jemalloc';
const fixtures = env.IMAGE_FIXTURES ?? join(root, '..', 'shared', 'fixtures', 'images');
const kodakDir = join(fixtures, 'kodak');
if (!existsSync(kodakDir)) {
  log(`no Kodak set at ${kodakDir}: set IMAGE_FIXTURES to the folder holding kodak/`);
  process.exit(2);
}
const kodak = readdirSync(kodakDir)
  .filter((f) => f.endsWith('.png'))
  .sort()
  .map((f) => ({ name: f, bytes: readFileSync(join(kodakDir, f)) }));

/** The allocator settings the processor's image and infra start use (see its Dockerfile). */
const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
function allocatorEnv(kind) {
  if (kind === 'glibc') return {};
  if (kind === 'arena2') return { MALLOC_ARENA_MAX: '2' };
  if (kind === 'jemalloc') {
    if (!existsSync(JEMALLOC))
      throw new Error(`${JEMALLOC} is missing: apt-get install libjemalloc2`);
    return { LD_PRELOAD: JEMALLOC };
  }
  throw new Error(`unknown BENCH_ALLOCATOR ${kind}`);
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

// ---------------------------------------------------------------- world
const runId = `faults_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
const admin = new pg.Client({ connectionString: env.DATABASE_URL });
await admin.connect();
await admin.query(`CREATE DATABASE "${runId}"`);
const dbUrl = new URL(env.DATABASE_URL);
dbUrl.pathname = `/${runId}`;
const db = createDb({ url: dbUrl.toString(), max: 2 });
await migrateToLatest(db);

const prefix = `${runId}.`;
const topics = topicNames(prefix);
const kafka = new Kafka({
  clientId: 'zocket-bench-faults',
  brokers: env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const kadmin = kafka.admin();
await kadmin.connect();
await kadmin.createTopics({
  waitForLeaders: true,
  topics: [
    { topic: topics.imageJobs, numPartitions: 12 },
    { topic: topics.imageJobsRetry, numPartitions: 12 },
    { topic: topics.imageJobsDlq, numPartitions: 1 },
    { topic: topics.imageResults, numPartitions: 1 },
  ],
});

// A small photo-like image for the stall batches (processing time stays far below the stall).
const small = await sharp({
  create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 140, b: 200 } },
})
  .png()
  .toBuffer();
const imageServer = createHttpServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  const bytes = path === '/small.png' ? small : kodak.find((k) => `/${k.name}` === path)?.bytes;
  if (!bytes) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes);
});
await new Promise((r) => imageServer.listen(0, '127.0.0.1', r));
const imageBase = `http://127.0.0.1:${imageServer.address().port}`;

const secret = randomUUID();
const common = {
  PATH: env.PATH,
  DATABASE_URL: dbUrl.toString(),
  REDIS_URL: env.REDIS_URL,
  CACHE_KEY_PREFIX: runId,
  KAFKA_BROKERS: env.KAFKA_BROKERS,
  KAFKA_TOPIC_PREFIX: prefix,
  S3_ENDPOINT: env.S3_ENDPOINT,
  S3_REGION: env.S3_REGION ?? 'us-east-1',
  S3_ACCESS_KEY_ID: env.S3_ACCESS_KEY_ID,
  S3_SECRET_ACCESS_KEY: env.S3_SECRET_ACCESS_KEY,
  S3_BUCKET: env.S3_BUCKET,
  S3_FORCE_PATH_STYLE: env.S3_FORCE_PATH_STYLE ?? 'true',
  LOG_LEVEL: 'warn',
};
const children = new Set();
let stopping = false;
function start(name, entry, extra) {
  const child = spawn(process.execPath, [join(root, entry)], {
    env: { ...common, ...extra },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    children.delete(child);
    if (!stopping && !child.stopAsked) log(`${name} exited early with ${code ?? signal}`);
  });
  children.add(child);
  return child;
}
async function waitOk(url) {
  for (let i = 0; i < 600; i += 1) {
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === 200) return;
    await sleep(200);
  }
  throw new Error(`${url} never answered 200`);
}
const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

const apiPort = await freePort();
start('api', 'services/api/dist/main.js', {
  PORT: String(apiPort),
  AUTH_JWT_SECRET: secret,
  OUTBOX_POLL_INTERVAL_MS: '100',
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
const profileVersion = runId.replace(/_/g, '-').slice(0, 32);
async function startProcessor(name, groupId, extra = {}) {
  const port = await freePort();
  const child = start(name, 'services/image-processor/dist/main.js', {
    METRICS_PORT: String(port),
    KAFKA_GROUP_ID: groupId,
    FETCH_ALLOWLIST: '127.0.0.1',
    PROCESSOR_CONCURRENCY: '2',
    UV_THREADPOOL_SIZE: '8',
    PUBLIC_IMAGE_BASE_URL: `${env.S3_ENDPOINT}/${env.S3_BUCKET}`,
    VARIANT_PROFILE_VERSION: profileVersion,
    ...(env.KAFKA_SESSION_TIMEOUT_MS
      ? { KAFKA_SESSION_TIMEOUT_MS: env.KAFKA_SESSION_TIMEOUT_MS }
      : {}),
    ...allocatorEnv(allocator),
    ...extra,
  });
  await waitOk(`http://127.0.0.1:${port}/readyz`);
  return child;
}
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('bench-faults')
  .setIssuer('zocket-local')
  .setAudience('zocket-api')
  .setExpirationTime('2h')
  .sign(new TextEncoder().encode(secret));
async function create(urls) {
  const r = await fetch(`${apiUrl}/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Faults ${randomUUID()}`,
      price: { amountMinor: 1999, currency: 'EUR' },
      imageUrls: urls,
    }),
  });
  if (r.status !== 200) throw new Error(`create answered ${r.status}: ${await r.text()}`);
  return r.json();
}
async function waitAllDone(productIds, expected) {
  for (;;) {
    const row = await db
      .selectFrom('product_images')
      .select((eb) => [eb.fn.countAll().as('n')])
      .where('product_id', 'in', productIds)
      .where('status', 'in', ['ready', 'failed'])
      .executeTakeFirstOrThrow();
    if (Number(row.n) >= expected) return;
    await sleep(50);
  }
}
/** Creates `count` one-image products (spread over the partitions) and times them to done. */
async function smallBatch(count) {
  const t0 = performance.now();
  const products = await Promise.all(
    Array.from({ length: count }, () => create([`${imageBase}/small.png`])),
  );
  await waitAllDone(
    products.map((p) => p.id),
    count,
  );
  return performance.now() - t0;
}

let cleaned;
/** Stops the children and drops the run's database and topics (also on Ctrl-C). */
function cleanup() {
  cleaned ??= (async () => {
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await sleep(1_000);
    for (const child of children) child.kill('SIGKILL');
    imageServer.close();
    await kadmin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
    await kadmin.disconnect();
    await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS "${runId}" WITH (FORCE)`).catch(() => {});
    await admin.end();
  })();
  return cleaned;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  // ------------------------------------------------------------ 1. a member killed (-9)
  const group = `${runId}-processors`;
  const survivor = await startProcessor('processor 1', group);
  const victim = await startProcessor('processor 2', group);
  log('stall: warming up two members of one group');
  await smallBatch(24);
  await sleep(2_000);
  const baselineMs = await smallBatch(24);
  log(`stall: 24 jobs with both members alive: ${Math.round(baselineMs)} ms`);
  victim.stopAsked = true;
  victim.kill('SIGKILL');
  const killedMs = await smallBatch(24);
  log(`stall: 24 jobs produced as one member is killed: ${Math.round(killedMs)} ms`);
  const killStallMs = Math.max(0, killedMs - baselineMs);

  // ------------------------------------------------------------ 2. resident memory
  survivor.stopAsked = true;
  survivor.kill('SIGTERM');
  const processor = await startProcessor('processor (memory)', `${runId}-memory`);
  const perProduct = 20;
  log(
    `memory: ${rssImages} Kodak images (allocator ${allocator}), rss at start ${Math.round(rssMb(processor.pid))} MiB`,
  );
  let done = 0;
  const t0 = performance.now();
  while (done < rssImages) {
    // Bounded waves keep the backlog (and so the queue's memory) like a steady load.
    const wave = Math.min(200, rssImages - done);
    const ids = [];
    for (let i = 0; i < wave; i += perProduct) {
      const n = Math.min(perProduct, wave - i);
      const urls = Array.from(
        { length: n },
        (_, k) => `${imageBase}/${kodak[(done + i + k) % kodak.length].name}?${randomUUID()}`,
      );
      ids.push((await create(urls)).id);
    }
    await waitAllDone(ids, wave);
    done += wave;
    log(
      `memory: ${done} images, rss ${Math.round(rssMb(processor.pid))} MiB, ${(done / ((performance.now() - t0) / 1000)).toFixed(2)} images/s`,
    );
  }
  const processorAfter2000Mb = Math.round(rssMb(processor.pid));

  process.stdout.write(
    `${JSON.stringify({ processor: { killStallMs: Math.round(killStallMs) }, rss: { processorAfter2000Mb } }, null, 2)}\n`,
  );
} finally {
  await cleanup();
}
