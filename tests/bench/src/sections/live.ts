// Live status: how many idle products.onChange subscriptions one API process holds within 150 MB
// more RSS (and what the cap, 10,000 by default, costs), then, with all of them open, the commit of a change -> its event at the subscribers
// while products change at a steady rate; and the processor's commit of a ready image -> its event
// at a fresh subscriber, one image at a time.
import { randomUUID } from 'node:crypto';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { cacheKeys, invalidateCachedProduct } from '@zocket/contracts';
import { completeImageJob, createDb } from '@zocket/db';
import { createCacheRedis, createLogger } from '@zocket/service-kit';
import { EventSource } from 'eventsource';
import sharp from 'sharp';
import type { BenchConfig } from '../config.js';
import { log, quantile, round, sleep } from '../log.js';
import { callApi, rssMb, startWorld } from '../world.js';

const SUBSCRIBER_BATCH = 500;
const RSS_BUDGET_MB = 150;
/** Changes in flight at once during the load (each is one UPDATE and one Redis script). */
const MAX_CHANGES_IN_FLIGHT = 32;

export interface LiveKeys {
  /** Commit -> event at the subscribers, with `subscribers` open and products changing. */
  notifyP50Ms: number;
  notifyP95Ms: number;
  notifySamples: number;
  notifyAtSubscribers: number;
  notifyProducts: number;
  notifyChangesPerSec: number;
  /** Changes the load made (its rate fell short when the machine could not keep up). */
  notifyChanges: number;
  /** The processor's commit of a ready image -> its event at a fresh subscriber, one at a time. */
  processorNotifyP50Ms: number;
  processorNotifyP95Ms: number;
  processorNotifySamples: number;
  /** Subscriptions open within +150 MB of the API's RSS. */
  subscribers: number;
  subscribersRssDeltaMb: number;
  /** Subscriptions opened in all (up to BENCH_LIVE_MAX_SUBSCRIBERS), and the RSS they added. */
  subscribersOpened: number;
  openedRssDeltaMb: number;
  /** RSS added per subscription with all of them open; beyond the first step (the marginal cost). */
  bytesPerSubscriber: number;
  marginalBytesPerSubscriber: number;
  subscribersStoppedBy: string;
  subscribersGaugeAtEnd: number;
}

const subscribeUrl = (base: string, productId: string) =>
  `${base}/trpc/products.onChange?input=${encodeURIComponent(JSON.stringify({ productId }))}`;

interface Change {
  image?: { status: string; processedAt: string; failureReason?: string };
}

/** ms from the image's processed_at to its ready event at a fresh subscriber. */
function readyLatency(apiUrl: string, productId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const source = new EventSource(subscribeUrl(apiUrl, productId));
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`no ready event for ${productId}`));
    }, 60_000);
    source.onmessage = (event) => {
      const received = Date.now();
      const change = JSON.parse(event.data) as Change;
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
}

/** Where an open subscription's ready events go while the load runs. */
interface Listener {
  recording: boolean;
  latencies: number[];
}

const PROCESSED_AT = /"status":"ready".*?"processedAt":"([^"]+)"/g;

/** Opens one subscription and resolves once it is connected; it stays open. */
function openSubscription(url: string, open: ClientRequest[], listener: Listener): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } });
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`subscription answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let connected = false;
      let buffer = '';
      res.on('data', (chunk: string) => {
        const received = Date.now();
        if (!connected) {
          buffer += chunk;
          if (!buffer.includes('event: connected')) return;
          connected = true;
          buffer = '';
          resolve();
          return;
        }
        if (!listener.recording || !chunk.includes('"status":"ready"')) return;
        for (const m of chunk.matchAll(PROCESSED_AT)) {
          listener.latencies.push(received - Date.parse(m[1] as string));
        }
      });
    });
    req.on('error', reject);
    req.end();
    open.push(req);
  });
}

/** The V8 heap in use in an API process, from its metrics. */
async function heapUsedMb(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
}

export async function liveSection(config: BenchConfig): Promise<{ live: LiveKeys }> {
  const { liveSamples, liveMaxSubscribers, liveProducts, liveChangesPerSec, liveLoadSeconds } =
    config;
  // Small distinct images: the figure is about notification, not rendering.
  const world = await startWorld(config, 'benchlive', async (req) => {
    const n = Number(/\/(\d+)\.png$/.exec(req.url ?? '')?.[1] ?? Number.NaN);
    if (!Number.isFinite(n)) return undefined;
    return sharp({
      create: { width: 64, height: 48, channels: 3, background: { r: n % 256, g: 40, b: 90 } },
    })
      .png()
      .toBuffer();
  });
  const open: ClientRequest[] = [];
  const loadDb = createDb({ url: world.databaseUrl, max: 8 });
  const redis = createCacheRedis(config.services.redisUrl, createLogger('bench', 'warn'));
  try {
    const [api, idleApi] = await Promise.all([
      world.startApi('api', { OUTBOX_POLL_INTERVAL_MS: '200' }),
      world.startApi('api (idle subscriptions)', {
        LIVE_MAX_SUBSCRIPTIONS: String(liveMaxSubscribers * 2),
        LIVE_MAX_SUBSCRIPTIONS_PER_USER: String(liveMaxSubscribers * 2),
      }),
      world.startProcessor('image processor'),
    ]);
    if (redis.status === 'wait') await redis.connect();
    const token = await world.token('bench-live');
    const create = (imageUrls: string[]) =>
      callApi<{ id: string }>(api.url, 'POST', '/products', token, {
        name: `Live ${randomUUID()}`,
        price: { amountMinor: 100, currency: 'EUR' },
        imageUrls,
      });

    log(`live: processor notify latency, ${liveSamples} products, one image each, one at a time`);
    const processorLatencies: number[] = [];
    for (let i = 0; i < liveSamples; i += 1) {
      const product = await create([`${world.imageBase}/${i}.png`]);
      processorLatencies.push(await readyLatency(api.url, product.id));
      await sleep(100);
    }

    // One image each, at a URL that answers 404: the processor fails it once, then the load
    // below marks it ready again and again, as the processor does when a job completes.
    log(`live: ${liveProducts} products for the subscriptions`);
    const products: string[] = [];
    for (let i = 0; i < liveProducts; i += 25) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(25, liveProducts - i) }, () =>
          create([`${world.imageBase}/gone.png`]),
        ),
      );
      products.push(...batch.map((p) => p.id));
    }
    const images = await loadDb
      .selectFrom('product_images')
      .select(['id', 'job_id', 'product_id'])
      .where('product_id', 'in', products)
      .execute();
    for (let i = 0; i < 600; i += 1) {
      const row = await loadDb
        .selectFrom('product_images')
        .select((eb) => [eb.fn.countAll().as('n')])
        .where('product_id', 'in', products)
        .where('status', 'in', ['pending', 'processing'])
        .executeTakeFirstOrThrow();
      if (Number(row.n) === 0) break;
      await sleep(200);
    }
    await sleep(2_000);

    const pid = idleApi.child.pid as number;
    const baselineMb = rssMb(pid);
    log(
      `live: idle subscriptions, baseline RSS ${round(baselineMb)} MB, steps of ${SUBSCRIBER_BATCH}`,
    );
    const listener: Listener = { recording: false, latencies: [] };
    // Opened up to the cap whatever the RSS; `held` is how many fit within the budget.
    let opened = 0;
    let openedDeltaMb = 0;
    let firstStep: { opened: number; deltaMb: number } | undefined;
    let held = 0;
    let heldDeltaMb = 0;
    let stoppedBy = 'cap';
    while (opened < liveMaxSubscribers) {
      const step = Math.min(SUBSCRIBER_BATCH, liveMaxSubscribers - opened);
      const batch = Array.from({ length: step }, (_, i) =>
        openSubscription(
          subscribeUrl(idleApi.url, products[(opened + i) % products.length] as string),
          open,
          listener,
        ),
      );
      try {
        await Promise.all(batch);
      } catch (error) {
        stoppedBy = `error: ${(error as Error).message}`;
        break;
      }
      await sleep(1_500); // let the snapshot reads settle
      const delta = rssMb(pid) - baselineMb;
      const heap = await heapUsedMb(idleApi.url);
      opened += step;
      openedDeltaMb = delta;
      firstStep ??= { opened, deltaMb: delta };
      log(`live:   ${opened} open: +${round(delta)} MB RSS (V8 heap used ${round(heap)} MB)`);
      if (delta <= RSS_BUDGET_MB && stoppedBy === 'cap') {
        held = opened;
        heldDeltaMb = delta;
      } else {
        stoppedBy = 'rss budget';
      }
    }

    // With every subscription open: products change at a steady rate, as processors would
    // record results (a guarded UPDATE, then the cache invalidation that rings the doorbell).
    log(
      `live: notify latency with ${opened} open, ${liveChangesPerSec} changes/s over ${products.length} products for ${liveLoadSeconds} s`,
    );
    const keys = cacheKeys(world.runId);
    const result = {
      variants: [],
      placeholder: 'p',
      width: 64,
      height: 48,
      bytes: 100,
      contentHash: 'b'.repeat(64),
      profileVersion: world.profileVersion,
    };
    listener.recording = true;
    let changes = 0;
    let inFlight = 0;
    const t0 = performance.now();
    const total = liveChangesPerSec * liveLoadSeconds;
    const pending = new Set<Promise<void>>();
    while (changes < total) {
      const due = t0 + (changes * 1000) / liveChangesPerSec;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (inFlight >= MAX_CHANGES_IN_FLIGHT) {
        await Promise.race(pending);
        continue;
      }
      const image = images[changes % images.length];
      if (image === undefined) break;
      changes += 1;
      inFlight += 1;
      const change = (async () => {
        await completeImageJob(loadDb, { imageId: image.id, jobId: image.job_id }, result);
        await invalidateCachedProduct(redis, keys, image.product_id);
      })()
        .catch((error: unknown) => log(`live: a change failed: ${(error as Error).message}`))
        .finally(() => {
          inFlight -= 1;
          pending.delete(change);
        });
      pending.add(change);
    }
    await Promise.all(pending);
    const loadSeconds = (performance.now() - t0) / 1000;
    await sleep(2_000); // the last events
    listener.recording = false;
    const latencies = listener.latencies;
    log(
      `live: ${changes} changes in ${round(loadSeconds)} s, ${latencies.length} events received, p50 ${round(quantile(latencies, 0.5))} ms, p95 ${round(quantile(latencies, 0.95))} ms`,
    );

    const metrics = await (await fetch(`${idleApi.url}/metrics`)).text();
    const gauge = Number(/^zocket_live_subscriptions (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
    return {
      live: {
        notifyP50Ms: round(quantile(latencies, 0.5)),
        notifyP95Ms: round(quantile(latencies, 0.95)),
        notifySamples: latencies.length,
        notifyAtSubscribers: opened,
        notifyProducts: products.length,
        notifyChangesPerSec: round(changes / loadSeconds),
        notifyChanges: changes,
        processorNotifyP50Ms: round(quantile(processorLatencies, 0.5)),
        processorNotifyP95Ms: round(quantile(processorLatencies, 0.95)),
        processorNotifySamples: processorLatencies.length,
        subscribers: held,
        subscribersRssDeltaMb: round(heldDeltaMb),
        subscribersOpened: opened,
        openedRssDeltaMb: round(openedDeltaMb),
        bytesPerSubscriber: opened === 0 ? 0 : Math.round((openedDeltaMb * 2 ** 20) / opened),
        marginalBytesPerSubscriber:
          firstStep === undefined || opened === firstStep.opened
            ? 0
            : Math.round(
                ((openedDeltaMb - firstStep.deltaMb) * 2 ** 20) / (opened - firstStep.opened),
              ),
        subscribersStoppedBy: stoppedBy,
        subscribersGaugeAtEnd: gauge,
      },
    };
  } finally {
    for (const req of open) req.destroy();
    redis.disconnect();
    await loadDb.destroy();
    await world.stop();
  }
}
