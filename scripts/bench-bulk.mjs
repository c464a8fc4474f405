#!/usr/bin/env node
// `npm run bench:bulk`: the bulk lane's figures, printed as one JSON object on stdout.
//   bulk.imagesPerSec             a cold bulk run (every source rendered) through dispatcher,
//                                 outbox, Kafka, bulk lane, S3 and PostgreSQL
//   bulk.imagesPerSecRatio        ... over raw sharp making the same variants from memory with the
//                                 bulk lane's concurrency (the processor ceiling, same run)
//   bulk.liveP95IdleMs / bulk.liveP95DuringMs / bulk.liveP95DuringOverIdle
//                                 create->ready of single live uploads, idle and during that bulk run
//   bulk.dedupeSpeedup            the same bulk run again (every image a rendition hit) against the
//                                 cold run, images per second over images per second
// Needs the services of `eval "$(infra/local/up)"` (runs it itself when DATABASE_URL is unset) and
// built services (`npm run build`). Uses the Kodak set from $IMAGE_FIXTURES/kodak when present
// (each image once per copy, with one pixel changed so every copy has bytes of its own), else
// generated photos. BENCH_BULK_IMAGES (default 96), BULK_CONCURRENCY (default 2),
// BENCH_BULK_LIVE_SAMPLES (default 10).
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicNames } from '@zocket/contracts';
import { createDb, ensureUser, insertProduct, migrateToLatest } from '@zocket/db';
import { loadConfig, processImage, resolveProfile } from '@zocket/image-processor';
import { SignJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (...parts) => process.stderr.write(`[bench-bulk] ${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (n, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const quantile = (values, q) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const started = Date.now();

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
const total = Number(env.BENCH_BULK_IMAGES ?? 96);
const bulkConcurrency = Number(env.BULK_CONCURRENCY ?? 2);
const liveSamples = Number(env.BENCH_BULK_LIVE_SAMPLES ?? 10);

// ---------------------------------------------------------------- sources with distinct bytes
const fixtures = env.IMAGE_FIXTURES ?? join(root, '..', 'shared', 'fixtures', 'images');
const kodakDir = join(fixtures, 'kodak');
const bases = existsSync(kodakDir)
  ? readdirSync(kodakDir)
      .filter((f) => f.endsWith('.png'))
      .sort()
      .map((f) => readFileSync(join(kodakDir, f)))
  : [];
const sourceKind = bases.length > 0 ? `Kodak (${bases.length} images)` : 'generated 768x512';
if (bases.length === 0) {
  log(`no Kodak set at ${kodakDir}: generating photos`);
  for (let i = 0; i < 8; i++) {
    bases.push(
      await sharp({
        create: { width: 768, height: 512, channels: 3, background: { r: 30 * i, g: 90, b: 160 } },
      })
        .composite([
          {
            input: await sharp({
              create: {
                width: 768,
                height: 512,
                channels: 3,
                noise: { type: 'gaussian', mean: 128, sigma: 40 },
              },
            })
              .png()
              .toBuffer(),
            blend: 'soft-light',
          },
        ])
        .png()
        .toBuffer(),
    );
  }
}
/** The n-th source: base n mod k with pixel (0,0) set from n, so the bytes (and hash) differ. */
const rawBases = await Promise.all(
  bases.map((b) => sharp(b).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
);
async function source(n) {
  const { data, info } = rawBases[n % rawBases.length];
  const pixels = Buffer.from(data);
  pixels[0] = n % 256;
  pixels[1] = Math.floor(n / 256) % 256;
  return sharp(pixels, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .png()
    .toBuffer();
}

// ---------------------------------------------------------------- ceiling: raw sharp, same slots
const profile = resolveProfile(loadConfig({}).images.profile);
sharp.concurrency(1);
sharp.cache(false);
const ceilingImages = await Promise.all(Array.from({ length: 16 }, (_, i) => source(100_000 + i)));
async function rawRun(images, inFlight) {
  const queue = [...images];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        await processImage(item, profile, { maxPixels: 50_000_000 });
      }
    }),
  );
  return performance.now() - t0;
}
log('ceiling: raw sharp warm-up');
await rawRun(ceilingImages.slice(0, 2), 1);
const ceilingMs = await rawRun(ceilingImages, bulkConcurrency);
const ceilingImagesPerSec = ceilingImages.length / (ceilingMs / 1000);
log(`ceiling: ${round(ceilingImagesPerSec, 2)} images/s with ${bulkConcurrency} in flight`);

// ---------------------------------------------------------------- an isolated system
const runId = `benchbulk_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
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
  clientId: 'zocket-bench-bulk',
  brokers: env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const kadmin = kafka.admin();
await kadmin.connect();
await kadmin.createTopics({
  waitForLeaders: true,
  topics: Object.entries(topics).map(([name, topic]) => ({
    topic,
    numPartitions: name.startsWith('imageJobs') && !name.endsWith('Dlq') ? 12 : 1,
  })),
});

const served = new Map();
const imageServer = createHttpServer((req, res) => {
  const bytes = served.get(req.url);
  if (!bytes) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': bytes.length }).end(bytes);
});
await new Promise((r) => imageServer.listen(0, '127.0.0.1', r));
const imageBase = `http://127.0.0.1:${imageServer.address().port}`;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const secret = randomUUID();
const liveGroup = `${runId}-live`;
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
let stopping = false;
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
const apiPort = await freePort();
start('api', 'services/api/dist/main.js', {
  PORT: String(apiPort),
  AUTH_JWT_SECRET: secret,
  OUTBOX_POLL_INTERVAL_MS: '200',
  BULK_LIVE_GROUP_ID: liveGroup,
  BULK_COMMANDS_GROUP_ID: `${runId}-commands`,
});
const processorPort = await freePort();
start('image processor', 'services/image-processor/dist/main.js', {
  METRICS_PORT: String(processorPort),
  KAFKA_GROUP_ID: liveGroup,
  KAFKA_BULK_GROUP_ID: `${runId}-bulk`,
  PROCESSOR_LANES: 'live,bulk',
  PROCESSOR_CONCURRENCY: '2',
  BULK_CONCURRENCY: String(bulkConcurrency),
  FETCH_ALLOWLIST: '127.0.0.1',
  UV_THREADPOOL_SIZE: '8',
  PUBLIC_IMAGE_BASE_URL: `${env.S3_ENDPOINT}/${env.S3_BUCKET}`,
  VARIANT_PROFILE_VERSION: runId.replace(/_/g, '-').slice(0, 32),
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
await Promise.all([waitOk(`${apiUrl}/readyz`), waitOk(`http://127.0.0.1:${processorPort}/readyz`)]);
const sign = (subject, claims) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer('zocket-local')
    .setAudience('zocket-api')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
const seller = await sign('bench-seller', {});
const operator = await sign('bench-operator', { roles: ['operator'] });
const call = async (method, path, token, body) => {
  const r = await fetch(`${apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await r.json();
  if (r.status !== 200)
    throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(json)}`);
  return json;
};

// ---------------------------------------------------------------- the catalogue to re-render
log(`seeding ${total} images (${sourceKind})`);
const ownerId = await ensureUser(db, 'bench-catalogue');
const productIds = [];
for (let i = 0; i < total; i += 10) {
  const images = [];
  for (let j = i; j < Math.min(total, i + 10); j++) {
    const path = `/bulk/${j}.png`;
    served.set(path, await source(j));
    images.push({ kind: 'url', url: `${imageBase}${path}` });
  }
  const { product } = await insertProduct(db, {
    ownerId,
    name: `catalogue ${i}`,
    description: '',
    price: { amountMinor: 100, currency: 'EUR' },
    images,
  });
  productIds.push(product.id);
}

let liveCounter = 0;
/** create -> ready of one live upload (a fresh source each time), in ms. */
async function liveSample() {
  const path = `/live/${liveCounter}.png`;
  served.set(path, await source(50_000 + liveCounter));
  liveCounter += 1;
  const product = await call('POST', '/products', seller, {
    name: `live ${liveCounter}`,
    price: { amountMinor: 1999, currency: 'EUR' },
    imageUrls: [`${imageBase}${path}`],
  });
  const t0 = performance.now();
  for (;;) {
    const row = await db
      .selectFrom('product_images')
      .select(['status', 'last_error'])
      .where('product_id', '=', product.id)
      .executeTakeFirst();
    if (row?.status === 'failed') throw new Error(`live image failed: ${row.last_error}`);
    if (row?.status === 'ready') return performance.now() - t0;
    await sleep(5);
  }
}

log(`live create->ready, idle: ${liveSamples} samples`);
await liveSample(); // warm-up
const idle = [];
for (let i = 0; i < liveSamples; i++) idle.push(await liveSample());

async function bulkRun(label, during) {
  log(`bulk run (${label}): ${total} images`);
  const t0 = performance.now();
  const job = await call('POST', '/bulk/jobs', operator, { filter: { productIds } });
  const samples = [];
  let job2 = job;
  for (;;) {
    if (during && samples.length < liveSamples) {
      samples.push(await liveSample());
      await sleep(250);
    } else {
      await sleep(50);
    }
    job2 = await call('GET', `/bulk/jobs/${job.id}`, operator);
    if (['completed', 'cancelled', 'failed'].includes(job2.status)) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (job2.status !== 'completed' || job2.counts.succeeded !== total) {
    throw new Error(`bulk run ended ${job2.status}: ${JSON.stringify(job2.counts)}`);
  }
  if (during && samples.length < liveSamples) {
    log(`only ${samples.length} live samples fitted in the bulk run`);
  }
  log(`bulk run (${label}): ${round(seconds, 1)} s, ${round(total / seconds, 2)} images/s`);
  return { seconds, samples };
}

const cold = await bulkRun('cold: every source rendered, live uploads alongside', true);
const warm = await bulkRun('again: every image a rendition hit', false);
const metrics = await (await fetch(`http://127.0.0.1:${processorPort}/metrics`)).text();
const renditions = Object.fromEntries(
  [...metrics.matchAll(/^zocket_image_renditions_total\{result="(\w+)"\} (\d+)/gm)].map((m) => [
    m[1],
    Number(m[2]),
  ]),
);

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

const imagesPerSec = total / cold.seconds;
const liveP95IdleMs = quantile(idle, 0.95);
const liveP95DuringMs = quantile(cold.samples, 0.95);
const results = {
  'bulk.images': total,
  'bulk.sources': sourceKind,
  'bulk.concurrency': bulkConcurrency,
  'bulk.imagesPerSec': round(imagesPerSec, 2),
  'bulk.ceilingImagesPerSec': round(ceilingImagesPerSec, 2),
  'bulk.imagesPerSecRatio': round(imagesPerSec / ceilingImagesPerSec, 2),
  'bulk.liveP95IdleMs': round(liveP95IdleMs, 0),
  'bulk.liveP95DuringMs': round(liveP95DuringMs, 0),
  'bulk.liveP95DuringOverIdle': round(liveP95DuringMs / liveP95IdleMs, 2),
  'bulk.liveSamples': { idle: idle.length, during: cold.samples.length },
  'bulk.rerunImagesPerSec': round(total / warm.seconds, 2),
  'bulk.dedupeSpeedup': round(cold.seconds / warm.seconds, 1),
  'bulk.renditions': renditions,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
  date: new Date().toISOString(),
  wallSeconds: round((Date.now() - started) / 1000, 0),
};
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
