import { randomUUID } from 'node:crypto';
import {
  loadConfig,
  processImage,
  resolveProfile,
  type VariantProfile,
} from '@zocket/image-processor';
import type { TestServices } from '@zocket/testkit';
import sharp from 'sharp';
import type { KodakImage } from '../kodak.js';
import { log, quantile, round, sleep } from '../log.js';
import { infraCpuMs, infraPids, threadCpuMs, treeCpuMs } from '../proc-cpu.js';
import { probeStages, STATEMENTS_PER_JOB } from '../stage-probes.js';
import type { BenchSystem } from '../system.js';

/** Raw sharp making the same variants from memory: the processor's ceiling. */
export interface RawSharp {
  profile: VariantProfile;
  imagesPerSecond: number;
  /** CPU (all sharp threads) per image, making every variant. */
  cpuMsPerImage: number;
  msPerImageByFormat: Record<string, number>;
}

async function rawRun(images: readonly KodakImage[], profile: VariantProfile, inFlight: number) {
  const queue = [...images];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        await processImage(item.bytes, profile, { maxPixels: 50_000_000 });
      }
    }),
  );
  return performance.now() - t0;
}

/** Runs before the system starts, so nothing else competes for the cores. */
export async function measureRawSharp(
  kodak: readonly KodakImage[],
  concurrency: number,
): Promise<RawSharp> {
  const profile = resolveProfile(loadConfig({}).images.profile);
  sharp.concurrency(1);
  sharp.cache(false);
  log('raw sharp: warming up');
  await rawRun(kodak.slice(0, 2), profile, 1);
  log(`raw sharp: ${kodak.length} images, ${concurrency} in flight`);
  const cpuBefore = process.cpuUsage();
  const rawMs = await rawRun(kodak, profile, concurrency);
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMsPerImage = (cpu.user + cpu.system) / 1000 / kodak.length;
  const msPerImageByFormat: Record<string, number> = {};
  for (const format of profile.formats) {
    const ms = await rawRun(kodak.slice(0, 8), { ...profile, formats: [format] }, 1);
    msPerImageByFormat[format] = ms / 8;
  }
  return {
    profile,
    imagesPerSecond: kodak.length / (rawMs / 1000),
    cpuMsPerImage,
    msPerImageByFormat,
  };
}

async function create(system: BenchSystem, imageNames: string[]): Promise<{ id: string }> {
  const r = await fetch(`${system.apiUrl}/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${system.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `Bench ${randomUUID()}`,
      price: { amountMinor: 1999, currency: 'EUR' },
      imageUrls: imageNames.map((n) => `${system.imageBase}/${n}`),
    }),
  });
  if (r.status !== 200) throw new Error(`create answered ${r.status}: ${await r.text()}`);
  return (await r.json()) as { id: string };
}

async function waitAllReady(system: BenchSystem, productIds: string[], intervalMs: number) {
  for (;;) {
    const rows = await system.db
      .selectFrom('product_images')
      .select((eb) => [eb.fn.countAll().as('n')])
      .where('product_id', 'in', productIds)
      .where('status', 'in', ['ready', 'failed'])
      .execute();
    const failed = await system.db
      .selectFrom('product_images')
      .select(['last_error'])
      .where('product_id', 'in', productIds)
      .where('status', '=', 'failed')
      .execute();
    if (failed.length > 0) throw new Error(`image failed: ${failed[0]?.last_error}`);
    if (Number(rows[0]?.n) >= productIds.length) return;
    await sleep(intervalMs);
  }
}

/**
 * Create -> ready latency at low load, then the whole Kodak set at once end to end, against the
 * raw sharp ceiling. Returns the `processor` and `latency` keys, and the products it created.
 */
export async function processorSection(
  system: BenchSystem,
  kodak: readonly KodakImage[],
  raw: RawSharp,
  concurrency: number,
  services: TestServices,
) {
  log('create->ready latency: 8 products, one Kodak image each, one at a time');
  const latencies: number[] = [];
  for (const item of kodak.slice(0, 8)) {
    // A copy with bytes of its own: the end-to-end run below must not find these as renditions.
    const product = await create(system, [`${item.name}?copy=latency`]);
    const t0 = performance.now();
    await waitAllReady(system, [product.id], 5);
    latencies.push(performance.now() - t0);
  }

  log(`end-to-end: ${kodak.length} products created at once, one Kodak image each`);
  const infra = infraPids();
  const threadsBefore = threadCpuMs(system.processorPid);
  const cpuAt = () => ({
    processor: treeCpuMs(system.processorPid),
    api: treeCpuMs(system.apiPid),
    bench: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    ...infraCpuMs(infra),
  });
  const cpuBefore: Record<string, number> = cpuAt();
  const t0 = performance.now();
  const products = await Promise.all(kodak.map((item) => create(system, [item.name])));
  await waitAllReady(
    system,
    products.map((p) => p.id),
    25,
  );
  const e2eMs = performance.now() - t0;
  const cpuAfter: Record<string, number> = cpuAt();
  const threadsAfter = threadCpuMs(system.processorPid);
  const cpuMsPerImage = Object.fromEntries(
    Object.entries(cpuAfter).map(([name, ms]) => [
      name,
      round((ms - (cpuBefore[name] ?? 0)) / kodak.length, 0),
    ]),
  );
  const processorCpu = cpuMsPerImage.processor ?? Number.NaN;
  log('processor stages: fetch, S3 writes, database and Kafka probed one image at a time');
  const probes = await probeStages(kodak.slice(0, 4), services, system.db);
  const perImage = (ms: number) => round(ms / kodak.length, 0);
  const stageCpuMsPerImage = {
    /** The processor's threads but its main one: sharp (decode + encode) and V8's helpers. */
    decodeEncode: perImage(threadsAfter.others - threadsBefore.others),
    /** The processor's main thread: fetch, S3, database, Kafka and the job's own logic. */
    mainThread: perImage(threadsAfter.main - threadsBefore.main),
    ...probes,
  };
  const e2eImagesPerSecond = kodak.length / (e2eMs / 1000);
  const { profile } = raw;

  return {
    products,
    keys: {
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
        rawImagesPerSecond: round(raw.imagesPerSecond, 2),
        endToEndImagesPerSecond: round(e2eImagesPerSecond, 2),
        efficiency: round(e2eImagesPerSecond / raw.imagesPerSecond, 3),
        /** Raw sharp's CPU per image ÷ the processor's: what sharp alone needs of what it spends. */
        cpuEfficiency: round(raw.cpuMsPerImage / processorCpu, 3),
        rawCpuMsPerImage: round(raw.cpuMsPerImage, 0),
        /**
         * CPU ms per image during the end-to-end run, by process: the processor (every stage:
         * fetch, decode + encode, S3 writes, database, Kafka), the API (outbox relay), the bench
         * (serving the source images) and each infrastructure process (shared with anything else
         * using it on this machine).
         */
        cpuMsPerImage,
        /** The processor's CPU beyond raw sharp's: fetch, S3 writes, database, Kafka, per image. */
        processorOverheadCpuMsPerImage: round(processorCpu - raw.cpuMsPerImage, 0),
        /**
         * The processor's CPU per image by stage. `decodeEncode` and `mainThread` split the
         * end-to-end run's CPU by thread; `fetch`, `s3Writes`, `database` (${STATEMENTS_PER_JOB}
         * statements) and `kafka` are each measured alone in the bench with the same clients
         * (see stage-probes.ts), so the main thread's CPU beyond their sum is the job's own logic,
         * the consumer and GC.
         */
        stageCpuMsPerImage,
        statementsPerJob: STATEMENTS_PER_JOB,
        rawMsPerImage: round(1000 / raw.imagesPerSecond, 0),
        msPerImageByFormat: Object.fromEntries(
          Object.entries(raw.msPerImageByFormat).map(([f, ms]) => [f, round(ms, 0)]),
        ),
      },
      latency: {
        createToReadyP50Ms: round(quantile(latencies, 0.5), 0),
        createToReadyP95Ms: round(quantile(latencies, 0.95), 0),
        samples: latencies.length,
      },
    },
  };
}
