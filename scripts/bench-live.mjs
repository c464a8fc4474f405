#!/usr/bin/env node
// Live status benchmark (`node scripts/bench-live.mjs`, after `npm run build`): prints JSON with
//   live.notifyP50Ms / live.notifyP95Ms: from the processor's database commit of a ready image
//     (its processed_at) to the event reaching a products.onChange subscriber, at low load;
//   live.subscribers: idle subscriptions one API process holds with at most 100 MB more RSS.
// Needs the services of `eval "$(infra/local/up)"` (runs it itself when DATABASE_URL is unset).
// Runs its own API and image processor processes on a database and topics of its own.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicNames } from '@zocket/contracts';
import { createDb, migrateToLatest } from '@zocket/db';
import { EventSource } from 'eventsource';
import { SignJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import sharp from 'sharp';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (...parts) => process.stderr.write(`[bench-live] ${parts.join(' ')}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();

const NOTIFY_SAMPLES = Number(process.env.BENCH_LIVE_SAMPLES ?? 40);
const MAX_SUBSCRIBERS = Number(process.env.BENCH_LIVE_MAX_SUBSCRIBERS ?? 10_000);
const SUBSCRIBER_BATCH = 500;
const RSS_BUDGET_MB = 100;

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
const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

// ---------------------------------------------------------------- the system
const runId = `benchlive_${Date.now().toString(36)}_${randomUUID().slice(0, 4)}`;
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
  clientId: 'zocket-bench-live',
  brokers: env.KAFKA_BROKERS.split(','),
  logLevel: logLevel.NOTHING,
});
const kadmin = kafka.admin();
await kadmin.connect();
await kadmin.createTopics({
  waitForLeaders: true,
  topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 3 })),
});

// Small distinct images: the figure is about notification, not rendering.
const imageServer = createHttpServer(async (req, res) => {
  const n = Number(/\/(\d+)\.png$/.exec(req.url ?? '')?.[1] ?? Number.NaN);
  if (!Number.isFinite(n)) return void res.writeHead(404).end();
  const body = await sharp({
    create: { width: 64, height: 48, channels: 3, background: { r: n % 256, g: 40, b: 90 } },
  })
    .png()
    .toBuffer();
  res.writeHead(200, { 'content-type': 'image/png', 'content-length': body.length }).end(body);
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
let stopping = false;
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

const apiPort = await freePort();
start('api', 'services/api/dist/main.js', {
  PORT: String(apiPort),
  AUTH_JWT_SECRET: secret,
  OUTBOX_POLL_INTERVAL_MS: '200',
});
const idlePort = await freePort();
const idleApi = start('api (idle subscriptions)', 'services/api/dist/main.js', {
  PORT: String(idlePort),
  AUTH_JWT_SECRET: secret,
  LIVE_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIBERS * 2),
  LIVE_MAX_SUBSCRIPTIONS_PER_USER: String(MAX_SUBSCRIBERS * 2),
});
const processorPort = await freePort();
start('image processor', 'services/image-processor/dist/main.js', {
  METRICS_PORT: String(processorPort),
  KAFKA_GROUP_ID: `${runId}-processors`,
  FETCH_ALLOWLIST: '127.0.0.1',
  UV_THREADPOOL_SIZE: '8',
  PUBLIC_IMAGE_BASE_URL: `${env.S3_ENDPOINT}/${env.S3_BUCKET}`,
  VARIANT_PROFILE_VERSION: runId.replace(/_/g, '-').slice(0, 32),
});
const apiUrl = `http://127.0.0.1:${apiPort}`;
const idleUrl = `http://127.0.0.1:${idlePort}`;
await Promise.all([
  waitOk(`${apiUrl}/readyz`),
  waitOk(`${idleUrl}/readyz`),
  waitOk(`http://127.0.0.1:${processorPort}/readyz`),
]);
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject('bench-live')
  .setIssuer('zocket-local')
  .setAudience('zocket-api')
  .setExpirationTime('1h')
  .sign(new TextEncoder().encode(secret));
async function create(imageUrls) {
  const r = await fetch(`${apiUrl}/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Live ${randomUUID()}`,
      price: { amountMinor: 100, currency: 'EUR' },
      imageUrls,
    }),
  });
  if (r.status !== 200) throw new Error(`create answered ${r.status}: ${await r.text()}`);
  return r.json();
}
const subscribeUrl = (base, productId) =>
  `${base}/trpc/products.onChange?input=${encodeURIComponent(JSON.stringify({ productId }))}`;

// ---------------------------------------------------------------- 1. commit -> event latency
log(`notify latency: ${NOTIFY_SAMPLES} products, one image each, one at a time`);
const latencies = [];
for (let i = 0; i < NOTIFY_SAMPLES; i += 1) {
  const product = await create([`${imageBase}/${i}.png`]);
  const latency = await new Promise((resolve, reject) => {
    const source = new EventSource(subscribeUrl(apiUrl, product.id));
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`no ready event for ${product.id}`));
    }, 60_000);
    source.onmessage = (event) => {
      const received = Date.now();
      const change = JSON.parse(event.data);
      if (change.image?.status === 'failed') {
        clearTimeout(timer);
        source.close();
        reject(new Error(`image failed: ${change.image.failureReason}`));
      }
      if (change.image?.status !== 'ready') return;
      clearTimeout(timer);
      source.close();
      resolve(received - Date.parse(change.image.processedAt));
    };
  });
  latencies.push(latency);
  await sleep(100);
}

// ---------------------------------------------------------------- 2. idle subscriptions per process
const products = [];
for (let i = 0; i < 200; i += 1) products.push((await create([])).id);
const open = [];
function openSubscription(productId) {
  return new Promise((resolve, reject) => {
    const req = request(subscribeUrl(idleUrl, productId), {
      agent: false,
      headers: { accept: 'text/event-stream' },
    });
    req.on('response', (res) => {
      if (res.statusCode !== 200)
        return reject(new Error(`subscription answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buffer = '';
      const onData = (chunk) => {
        buffer += chunk;
        if (buffer.includes('event: connected')) {
          res.off('data', onData);
          res.on('data', () => {}); // pings from now on
          resolve();
        }
      };
      res.on('data', onData);
    });
    req.on('error', reject);
    req.end();
    open.push(req);
  });
}
await sleep(2_000);
const baselineMb = rssMb(idleApi.pid);
log(`idle subscriptions: baseline RSS ${round(baselineMb)} MB, batches of ${SUBSCRIBER_BATCH}`);
let held = 0;
let heldDeltaMb = 0;
let stoppedBy = 'cap';
while (held < MAX_SUBSCRIBERS) {
  const batch = [];
  for (let i = 0; i < SUBSCRIBER_BATCH; i += 1) {
    batch.push(openSubscription(products[(held + i) % products.length]));
  }
  try {
    await Promise.all(batch);
  } catch (error) {
    stoppedBy = `error: ${error.message}`;
    break;
  }
  await sleep(1_500); // let the snapshot reads settle
  const delta = rssMb(idleApi.pid) - baselineMb;
  log(`  ${held + SUBSCRIBER_BATCH} open: +${round(delta)} MB`);
  if (delta > RSS_BUDGET_MB) {
    stoppedBy = 'rss budget';
    break;
  }
  held += SUBSCRIBER_BATCH;
  heldDeltaMb = delta;
}
const metrics = await (await fetch(`${idleUrl}/metrics`)).text();
const gauge = Number(/^zocket_live_subscriptions (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
for (const req of open) req.destroy();

// ---------------------------------------------------------------- teardown and results
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

const results = {
  'live.notifyP50Ms': round(quantile(latencies, 0.5)),
  'live.notifyP95Ms': round(quantile(latencies, 0.95)),
  'live.notifySamples': latencies.length,
  'live.subscribers': held,
  'live.subscribersRssDeltaMb': round(heldDeltaMb),
  'live.subscribersStoppedBy': stoppedBy,
  'live.subscribersGaugeAtEnd': gauge,
  wallSeconds: round((Date.now() - started) / 1000, 0),
};
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
