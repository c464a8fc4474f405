// Live status: commit of a ready image -> event at a products.onChange subscriber, and how many
// idle subscriptions one API process holds within 100 MB more RSS.
import { randomUUID } from 'node:crypto';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { EventSource } from 'eventsource';
import sharp from 'sharp';
import type { BenchConfig } from '../config.js';
import { log, quantile, round, sleep } from '../log.js';
import { callApi, rssMb, startWorld } from '../world.js';

const SUBSCRIBER_BATCH = 500;
const RSS_BUDGET_MB = 100;

export interface LiveKeys {
  notifyP50Ms: number;
  notifyP95Ms: number;
  notifySamples: number;
  subscribers: number;
  subscribersRssDeltaMb: number;
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

/** Opens one subscription and resolves once it is connected; it stays open. */
function openSubscription(url: string, open: ClientRequest[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } });
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`subscription answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      const onData = (chunk: string) => {
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

export async function liveSection(config: BenchConfig): Promise<{ live: LiveKeys }> {
  const { liveSamples, liveMaxSubscribers } = config;
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
  try {
    const [api, idleApi] = await Promise.all([
      world.startApi('api', { OUTBOX_POLL_INTERVAL_MS: '200' }),
      world.startApi('api (idle subscriptions)', {
        LIVE_MAX_SUBSCRIPTIONS: String(liveMaxSubscribers * 2),
        LIVE_MAX_SUBSCRIPTIONS_PER_USER: String(liveMaxSubscribers * 2),
      }),
      world.startProcessor('image processor'),
    ]);
    const token = await world.token('bench-live');
    const create = (imageUrls: string[]) =>
      callApi<{ id: string }>(api.url, 'POST', '/products', token, {
        name: `Live ${randomUUID()}`,
        price: { amountMinor: 100, currency: 'EUR' },
        imageUrls,
      });

    log(`live: notify latency, ${liveSamples} products, one image each, one at a time`);
    const latencies: number[] = [];
    for (let i = 0; i < liveSamples; i += 1) {
      const product = await create([`${world.imageBase}/${i}.png`]);
      latencies.push(await readyLatency(api.url, product.id));
      await sleep(100);
    }

    const products: string[] = [];
    for (let i = 0; i < 200; i += 1) products.push((await create([])).id);
    await sleep(2_000);
    const pid = idleApi.child.pid as number;
    const baselineMb = rssMb(pid);
    log(
      `live: idle subscriptions, baseline RSS ${round(baselineMb)} MB, steps of ${SUBSCRIBER_BATCH}`,
    );
    let held = 0;
    let heldDeltaMb = 0;
    let stoppedBy = 'cap';
    while (held < liveMaxSubscribers) {
      const batch = Array.from({ length: SUBSCRIBER_BATCH }, (_, i) =>
        openSubscription(
          subscribeUrl(idleApi.url, products[(held + i) % products.length] as string),
          open,
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
      log(`live:   ${held + SUBSCRIBER_BATCH} open: +${round(delta)} MB`);
      if (delta > RSS_BUDGET_MB) {
        stoppedBy = 'rss budget';
        break;
      }
      held += SUBSCRIBER_BATCH;
      heldDeltaMb = delta;
    }
    const metrics = await (await fetch(`${idleApi.url}/metrics`)).text();
    const gauge = Number(/^zocket_live_subscriptions (\d+)/m.exec(metrics)?.[1] ?? Number.NaN);
    return {
      live: {
        notifyP50Ms: round(quantile(latencies, 0.5)),
        notifyP95Ms: round(quantile(latencies, 0.95)),
        notifySamples: latencies.length,
        subscribers: held,
        subscribersRssDeltaMb: round(heldDeltaMb),
        subscribersStoppedBy: stoppedBy,
        subscribersGaugeAtEnd: gauge,
      },
    };
  } finally {
    for (const req of open) req.destroy();
    await world.stop();
  }
}
