#!/usr/bin/env node
// `npm run bench`: measures the pipeline and the API against ceilings measured in the same run.
// Prints a table and writes BENCH_OUT (default bench-results.json). Needs the services of
// `eval "$(infra/local/up)"` (it runs infra/local/up itself when DATABASE_URL is unset) and the
// Kodak set in $IMAGE_FIXTURES/kodak.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicNames } from '@zocket/contracts';
import { createDb, migrateToLatest } from '@zocket/db';
import { loadConfig, processImage, resolveProfile } from '@zocket/image-processor';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (...parts) => process.stderr.write(`[bench] ${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();

// ---------------------------------------------------------------- services and fixtures
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

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

// ---------------------------------------------------------------- 1. raw sharp ceiling
const concurrency = Number(env.PROCESSOR_CONCURRENCY ?? 2);
const profile = resolveProfile(loadConfig({}).images.profile);
sharp.concurrency(1);
sharp.cache(false);

async function rawRun(images, p, inFlight) {
  const queue = [...images];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        await processImage(item.bytes, p, { maxPixels: 50_000_000 });
      }
    }),
  );
  return performance.now() - t0;
}
log('raw sharp: warming up');
await rawRun(kodak.slice(0, 2), profile, 1);
log(`raw sharp: ${kodak.length} images, ${concurrency} in flight`);
const rawMs = await rawRun(kodak, profile, concurrency);
const rawImagesPerSecond = kodak.length / (rawMs / 1000);
const perFormat = {};
for (const format of profile.formats) {
  const ms = await rawRun(kodak.slice(0, 8), { ...profile, formats: [format] }, 1);
  perFormat[format] = ms / 8;
}

// ---------------------------------------------------------------- 2. the system
const runId = `bench_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
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
  clientId: 'zocket-bench',
  brokers: env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const kadmin = kafka.admin();
await kadmin.connect();
await kadmin.createTopics({
  waitForLeaders: true,
  // Every topic of the contracts, bulk lane and commands included (the API consumes commands).
  topics: Object.entries(topics).map(([name, topic]) => ({
    topic,
    numPartitions: name.startsWith('imageJobs') && !name.endsWith('Dlq') ? 12 : 1,
  })),
});

const imageServer = createHttpServer((req, res) => {
  const item = kodak.find((k) => `/${k.name}` === req.url);
  if (!item) return void res.writeHead(404).end();
  res
    .writeHead(200, { 'content-type': 'image/png', 'content-length': item.bytes.length })
    .end(item.bytes);
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
const children = [];
function start(name, entry, extra) {
  const child = spawn(process.execPath, [join(root, entry)], {
    env: { ...common, ...extra },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.on('exit', (code) => {
    if (!stopping) log(`${name} exited early with ${code}`);
  });
  children.push(child);
  return child;
}
async function waitOk(url) {
  for (let i = 0; i < 300; i += 1) {
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === 200) return;
    await sleep(200);
  }
  throw new Error(`${url} never answered 200`);
}
/** Peak resident set (VmHWM) of a process, in MiB. */
const peakRssMb = (pid) => {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};
let stopping = false;

const apiPort = await freePort();
const apiProcess = start('api', 'services/api/dist/main.js', {
  PORT: String(apiPort),
  AUTH_JWT_SECRET: secret,
  OUTBOX_POLL_INTERVAL_MS: '200',
});
const apiUncachedPort = await freePort();
start('api (cache off)', 'services/api/dist/main.js', {
  PORT: String(apiUncachedPort),
  AUTH_JWT_SECRET: secret,
  CACHE_ENABLED: 'false',
});
const processorPort = await freePort();
const processor = start('image processor', 'services/image-processor/dist/main.js', {
  METRICS_PORT: String(processorPort),
  KAFKA_GROUP_ID: `${runId}-processors`,
  KAFKA_BULK_GROUP_ID: `${runId}-processors-bulk`,
  // The live lane only: this run measures it (scripts/bench-bulk.mjs measures the bulk lane).
  PROCESSOR_LANES: 'live',
  FETCH_ALLOWLIST: '127.0.0.1',
  PROCESSOR_CONCURRENCY: String(concurrency),
  UV_THREADPOOL_SIZE: '8',
  PUBLIC_IMAGE_BASE_URL: `${env.S3_ENDPOINT}/${env.S3_BUCKET}`,
  VARIANT_PROFILE_VERSION: runId.replace(/_/g, '-').slice(0, 32),
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
await Promise.all([
  waitOk(`${apiUrl}/readyz`),
  waitOk(`http://127.0.0.1:${apiUncachedPort}/readyz`),
  waitOk(`http://127.0.0.1:${processorPort}/readyz`),
]);
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('bench')
  .setIssuer('zocket-local')
  .setAudience('zocket-api')
  .setExpirationTime('1h')
  .sign(new TextEncoder().encode(secret));
async function create(imageNames) {
  const r = await fetch(`${apiUrl}/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Bench ${randomUUID()}`,
      price: { amountMinor: 1999, currency: 'EUR' },
      imageUrls: imageNames.map((n) => `${imageBase}/${n}`),
    }),
  });
  if (r.status !== 200) throw new Error(`create answered ${r.status}: ${await r.text()}`);
  return r.json();
}
async function waitAllReady(productIds, intervalMs) {
  for (;;) {
    const rows = await db
      .selectFrom('product_images')
      .select((eb) => [eb.fn.countAll().as('n')])
      .where('product_id', 'in', productIds)
      .where('status', 'in', ['ready', 'failed'])
      .execute();
    const failed = await db
      .selectFrom('product_images')
      .select(['last_error'])
      .where('product_id', 'in', productIds)
      .where('status', '=', 'failed')
      .execute();
    if (failed.length > 0) throw new Error(`image failed: ${failed[0].last_error}`);
    if (Number(rows[0].n) >= productIds.length) return;
    await sleep(intervalMs);
  }
}

// 2a. create -> ready latency at low load: one image at a time.
log('create->ready latency: 8 products, one Kodak image each, one at a time');
const latencies = [];
for (const item of kodak.slice(0, 8)) {
  const product = await create([item.name]);
  const t0 = performance.now();
  await waitAllReady([product.id], 5);
  latencies.push(performance.now() - t0);
}

// 2b. end-to-end throughput: the whole Kodak set at once.
log(`end-to-end: ${kodak.length} products created at once, one Kodak image each`);
const t0 = performance.now();
const products = await Promise.all(kodak.map((item) => create([item.name])));
await waitAllReady(
  products.map((p) => p.id),
  25,
);
const e2eMs = performance.now() - t0;
const e2eImagesPerSecond = kodak.length / (e2eMs / 1000);

// ---------------------------------------------------------------- 3. API read path
const sample = products[0];
const productJson = await (await fetch(`${apiUrl}/products/${sample.id}`)).json();
const bodyFile = join(mkdtempSync(join(tmpdir(), 'zocket-bench-')), 'product.json');
writeFileSync(bodyFile, JSON.stringify(productJson));
const ceilingPort = await freePort();
const ceiling = spawn(
  process.execPath,
  [join(root, 'scripts/bench-ceiling.mjs'), bodyFile, String(ceilingPort)],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
children.push(ceiling);
await waitOk(`http://127.0.0.1:${ceilingPort}/products/${sample.id}`);

const trpcPath = `/trpc/products.byId?input=${encodeURIComponent(JSON.stringify({ id: sample.id }))}`;
const duration = Number(env.BENCH_API_SECONDS ?? 8);
async function load(label, url) {
  await fetch(url); // warm (fills the cache where there is one)
  const result = await autocannon({ url, connections: 50, pipelining: 1, duration });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${label}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  log(`${label}: ${round(result.requests.average, 0)} req/s`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}
const reads = {};
reads.ceiling = await load(
  'bare Hono route',
  `http://127.0.0.1:${ceilingPort}/products/${sample.id}`,
);
reads.restCached = await load('REST byId, cache warm', `${apiUrl}/products/${sample.id}`);
reads.trpcCached = await load('tRPC byId, cache warm', `${apiUrl}${trpcPath}`);
reads.restUncached = await load(
  'REST byId, cache off',
  `http://127.0.0.1:${apiUncachedPort}/products/${sample.id}`,
);
reads.trpcUncached = await load(
  'tRPC byId, cache off',
  `http://127.0.0.1:${apiUncachedPort}${trpcPath}`,
);

const rss = { apiMb: peakRssMb(apiProcess.pid), processorMb: peakRssMb(processor.pid) };

// ---------------------------------------------------------------- 4. report
const ratio = (x) => round(x.rps / reads.ceiling.rps, 3);
const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  },
  processor: {
    profile: {
      widths: profile.widths,
      maxWidth: profile.maxWidth,
      formats: profile.formats,
      webp: profile.webp,
      avif: profile.avif,
    },
    images: kodak.length,
    concurrency,
    rawImagesPerSecond: round(rawImagesPerSecond, 2),
    endToEndImagesPerSecond: round(e2eImagesPerSecond, 2),
    efficiency: round(e2eImagesPerSecond / rawImagesPerSecond, 3),
    rawMsPerImage: round(1000 / rawImagesPerSecond, 0),
    msPerImageByFormat: Object.fromEntries(
      Object.entries(perFormat).map(([f, ms]) => [f, round(ms, 0)]),
    ),
  },
  api: {
    connections: 50,
    durationSeconds: duration,
    ceiling: reads.ceiling,
    restCached: reads.restCached,
    trpcCached: reads.trpcCached,
    restUncached: reads.restUncached,
    trpcUncached: reads.trpcUncached,
    restCachedRatio: ratio(reads.restCached),
    trpcCachedRatio: ratio(reads.trpcCached),
    restUncachedRatio: ratio(reads.restUncached),
    trpcUncachedRatio: ratio(reads.trpcUncached),
  },
  latency: {
    createToReadyP50Ms: round(quantile(latencies, 0.5), 0),
    createToReadyP95Ms: round(quantile(latencies, 0.95), 0),
    samples: latencies.length,
  },
  rss: { apiMb: round(rss.apiMb, 0), processorMb: round(rss.processorMb, 0) },
  wallSeconds: 0,
};

stopping = true;
for (const child of children) child.kill('SIGTERM');
await Promise.all(
  children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
);
imageServer.close();
await db.destroy();
await kadmin.deleteTopics({ topics: Object.values(topics) }).catch(() => {});
await kadmin.disconnect();
await admin.query(`DROP DATABASE IF EXISTS "${runId}" WITH (FORCE)`);
await admin.end();
results.wallSeconds = round((Date.now() - started) / 1000, 0);

const rows = [
  ['figure', 'value', 'ceiling', 'ratio'],
  [
    'processor images/s (Kodak, e2e)',
    results.processor.endToEndImagesPerSecond,
    results.processor.rawImagesPerSecond,
    results.processor.efficiency,
  ],
  [
    `raw sharp ms/image, all variants (${concurrency} in flight)`,
    results.processor.rawMsPerImage,
    '',
    '',
  ],
  ...Object.entries(results.processor.msPerImageByFormat).map(([f, ms]) => [
    `raw sharp ms/image, ${f} only`,
    ms,
    '',
    '',
  ]),
  ...['restCached', 'trpcCached', 'restUncached', 'trpcUncached'].map((k) => [
    `${k} req/s (p50/p99 ms)`,
    `${round(reads[k].rps, 0)} (${reads[k].p50}/${reads[k].p99})`,
    `${round(reads.ceiling.rps, 0)} (${reads.ceiling.p50}/${reads.ceiling.p99})`,
    results.api[`${k}Ratio`],
  ]),
  [
    'create->ready p50 / p95 ms',
    `${results.latency.createToReadyP50Ms} / ${results.latency.createToReadyP95Ms}`,
    '',
    '',
  ],
  ['peak RSS api / processor MiB', `${results.rss.apiMb} / ${results.rss.processorMb}`, '', ''],
];
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
const table = rows.map((r) => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`);
table.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
process.stdout.write(`${table.join('\n')}\n`);
process.stdout.write(
  `${results.machine.cpu}, ${results.machine.cores} cores, Node ${results.machine.node}, sharp ${results.machine.sharp}, libvips ${results.machine.libvips}; ${results.date}; ${results.wallSeconds} s\n`,
);
const out = env.BENCH_OUT ?? join(root, 'bench-results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${out}`);
