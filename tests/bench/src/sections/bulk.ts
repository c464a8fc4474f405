// The bulk lane: a cold bulk run through dispatcher, outbox, Kafka, bulk lane, S3 and PostgreSQL
// against raw sharp with the lane's concurrency (same run); live create->ready idle and during it;
// the same run again (every image a rendition hit).
import { ensureUser, insertProduct } from '@zocket/db';
import { loadConfig, processImage, resolveProfile } from '@zocket/image-processor';
import sharp from 'sharp';
import type { BenchConfig } from '../config.js';
import type { KodakImage } from '../kodak.js';
import { log, quantile, round, sleep } from '../log.js';
import { callApi, startWorld } from '../world.js';

export interface BulkKeys {
  images: number;
  sources: string;
  concurrency: number;
  imagesPerSec: number;
  ceilingImagesPerSec: number;
  imagesPerSecRatio: number;
  liveP95IdleMs: number;
  liveP95DuringMs: number;
  liveP95DuringOverIdle: number;
  liveSamples: { idle: number; during: number };
  rerunImagesPerSec: number;
  dedupeSpeedup: number;
  renditions: Record<string, number>;
}

interface BulkJob {
  id: string;
  status: string;
  counts: { succeeded: number };
}

async function generatedPhotos(): Promise<Buffer[]> {
  const noise = await sharp({
    create: {
      width: 768,
      height: 512,
      channels: 3,
      background: { r: 0, g: 0, b: 0 },
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .png()
    .toBuffer();
  return Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      sharp({
        create: { width: 768, height: 512, channels: 3, background: { r: 30 * i, g: 90, b: 160 } },
      })
        .composite([{ input: noise, blend: 'soft-light' }])
        .png()
        .toBuffer(),
    ),
  );
}

/** Sources with distinct bytes: base n mod k with pixel (0,0) set from n. */
async function sourceMaker(kodak: readonly KodakImage[] | undefined) {
  const bases = kodak?.length ? kodak.map((k) => k.bytes) : await generatedPhotos();
  const kind = kodak?.length ? `Kodak (${bases.length} images)` : 'generated 768x512';
  const raws = await Promise.all(
    bases.map((b) => sharp(b).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
  );
  const source = (n: number): Promise<Buffer> => {
    const { data, info } = raws[n % raws.length] as (typeof raws)[number];
    const pixels = Buffer.from(data);
    pixels[0] = n % 256;
    pixels[1] = Math.floor(n / 256) % 256;
    return sharp(pixels, {
      raw: { width: info.width, height: info.height, channels: info.channels },
    })
      .png()
      .toBuffer();
  };
  return { kind, source };
}

export async function bulkSection(
  config: BenchConfig,
  kodak: readonly KodakImage[] | undefined,
): Promise<{ bulk: BulkKeys }> {
  const total = config.bulkImages;
  const { bulkConcurrency, bulkLiveSamples: liveSamples } = config;
  const { kind, source } = await sourceMaker(kodak);

  // The ceiling: raw sharp, the same slots, nothing else running.
  const profile = resolveProfile(loadConfig({}).images.profile);
  sharp.concurrency(1);
  sharp.cache(false);
  const ceilingImages = await Promise.all(
    Array.from({ length: 16 }, (_, i) => source(100_000 + i)),
  );
  const rawRun = async (images: Buffer[], inFlight: number) => {
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
  };
  log('bulk: ceiling, raw sharp warm-up');
  await rawRun(ceilingImages.slice(0, 2), 1);
  const ceilingImagesPerSec =
    ceilingImages.length / ((await rawRun(ceilingImages, bulkConcurrency)) / 1000);
  log(`bulk: ceiling ${round(ceilingImagesPerSec, 2)} images/s, ${bulkConcurrency} in flight`);

  const served = new Map<string, Buffer>();
  const world = await startWorld(config, 'benchbulk', (req) => served.get(req.url ?? ''));
  try {
    const liveGroup = `${world.runId}-live`;
    const [api, processor] = await Promise.all([
      world.startApi('api', {
        OUTBOX_POLL_INTERVAL_MS: '200',
        BULK_LIVE_GROUP_ID: liveGroup,
        BULK_COMMANDS_GROUP_ID: `${world.runId}-commands`,
      }),
      world.startProcessor('image processor', {
        KAFKA_GROUP_ID: liveGroup,
        KAFKA_BULK_GROUP_ID: `${world.runId}-bulk`,
        PROCESSOR_LANES: 'live,bulk',
        PROCESSOR_CONCURRENCY: '2',
        BULK_CONCURRENCY: String(bulkConcurrency),
      }),
    ]);
    const seller = await world.token('bench-seller');
    const operator = await world.token('bench-operator', ['operator']);

    log(`bulk: seeding ${total} images (${kind})`);
    const ownerId = await ensureUser(world.db, 'bench-catalogue');
    const productIds: string[] = [];
    for (let i = 0; i < total; i += 10) {
      const images: { kind: 'url'; url: string }[] = [];
      for (let j = i; j < Math.min(total, i + 10); j++) {
        const path = `/bulk/${j}.png`;
        served.set(path, await source(j));
        images.push({ kind: 'url', url: `${world.imageBase}${path}` });
      }
      const { product } = await insertProduct(world.db, {
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
    const liveSample = async (): Promise<number> => {
      const path = `/live/${liveCounter}.png`;
      served.set(path, await source(50_000 + liveCounter));
      liveCounter += 1;
      const product = await callApi<{ id: string }>(api.url, 'POST', '/products', seller, {
        name: `live ${liveCounter}`,
        price: { amountMinor: 1999, currency: 'EUR' },
        imageUrls: [`${world.imageBase}${path}`],
      });
      const t0 = performance.now();
      for (;;) {
        const row = await world.db
          .selectFrom('product_images')
          .select(['status', 'last_error'])
          .where('product_id', '=', product.id)
          .executeTakeFirst();
        if (row?.status === 'failed') throw new Error(`live image failed: ${row.last_error}`);
        if (row?.status === 'ready') return performance.now() - t0;
        await sleep(5);
      }
    };

    log(`bulk: live create->ready, idle, ${liveSamples} samples`);
    await liveSample(); // warm-up
    const idle: number[] = [];
    for (let i = 0; i < liveSamples; i++) idle.push(await liveSample());

    const bulkRun = async (label: string, during: boolean) => {
      log(`bulk: run (${label}), ${total} images`);
      const t0 = performance.now();
      const job = await callApi<BulkJob>(api.url, 'POST', '/bulk/jobs', operator, {
        filter: { productIds },
      });
      const samples: number[] = [];
      let now = job;
      for (;;) {
        if (during && samples.length < liveSamples) {
          samples.push(await liveSample());
          await sleep(250);
        } else {
          await sleep(50);
        }
        now = await callApi<BulkJob>(api.url, 'GET', `/bulk/jobs/${job.id}`, operator);
        if (['completed', 'cancelled', 'failed'].includes(now.status)) break;
      }
      const seconds = (performance.now() - t0) / 1000;
      if (now.status !== 'completed' || now.counts.succeeded !== total) {
        throw new Error(`bulk run ended ${now.status}: ${JSON.stringify(now.counts)}`);
      }
      if (during && samples.length < liveSamples) {
        log(`bulk: only ${samples.length} live samples fitted in the bulk run`);
      }
      log(`bulk: run (${label}) ${round(seconds, 1)} s, ${round(total / seconds, 2)} images/s`);
      return { seconds, samples };
    };

    const cold = await bulkRun('cold: every source rendered, live uploads alongside', true);
    const warm = await bulkRun('again: every image a rendition hit', false);
    const metrics = await (await fetch(`${processor.url}/metrics`)).text();
    const renditions = Object.fromEntries(
      [...metrics.matchAll(/^zocket_image_renditions_total\{result="(\w+)"\} (\d+)/gm)].map((m) => [
        m[1] as string,
        Number(m[2]),
      ]),
    );

    const imagesPerSec = total / cold.seconds;
    const liveP95IdleMs = quantile(idle, 0.95);
    const liveP95DuringMs = quantile(cold.samples, 0.95);
    return {
      bulk: {
        images: total,
        sources: kind,
        concurrency: bulkConcurrency,
        imagesPerSec: round(imagesPerSec, 2),
        ceilingImagesPerSec: round(ceilingImagesPerSec, 2),
        imagesPerSecRatio: round(imagesPerSec / ceilingImagesPerSec, 2),
        liveP95IdleMs: round(liveP95IdleMs, 0),
        liveP95DuringMs: round(liveP95DuringMs, 0),
        liveP95DuringOverIdle: round(liveP95DuringMs / liveP95IdleMs, 2),
        liveSamples: { idle: idle.length, during: cold.samples.length },
        rerunImagesPerSec: round(total / warm.seconds, 2),
        dedupeSpeedup: round(cold.seconds / warm.seconds, 1),
        renditions,
      },
    };
  } finally {
    await world.stop();
  }
}
