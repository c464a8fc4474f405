// Processor faults and memory: how much longer a batch takes when one of two group members is
// killed (-9) as it is produced, the processor's RSS after BENCH_RSS_IMAGES Kodak images with
// the allocator the images ship (jemalloc), and an S3 server killed for 60 s while images are in
// flight (a private S3Proxy: the shared one stays up for everyone else).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { processorEnvSchema } from '@zocket/image-processor';
import { startPrivateS3 } from '@zocket/testkit';
import sharp from 'sharp';
import type { BenchConfig } from '../config.js';
import type { KodakImage } from '../kodak.js';
import { log, sleep } from '../log.js';
import { pngCopy } from '../system.js';
import { callApi, rssMb, type StartedService, startWorld } from '../world.js';

export interface FaultKeys {
  processor: {
    killStallMs: number;
    /** The members' `KAFKA_SESSION_TIMEOUT_MS` (the processor's default when the bench sets none). */
    sessionTimeoutMs: number;
    /** Group joins of either member while both were kept busy with large images: false evictions. */
    saturatedRebalances: number;
    saturatedJobs: number;
    saturatedSeconds: number;
    saturatedLoadAvg: number;
  };
  rss: { processorAfter2000Mb: number };
  faults: { s3Outage60s: S3OutageKeys };
}

export interface S3OutageKeys {
  /** Images in the batch, and how many were not ready yet when S3 was killed. */
  images: number;
  notReadyAtKill: number;
  /** Images that ended `failed` (target 0: an outage of our own S3 costs no image). */
  failed: number;
  /** Images that needed more than one attempt (the outage must not charge any). */
  retried: number;
  /** From the S3 server's return to the last image ready. */
  recoverySeconds: number;
}

const S3_OUTAGE_MS = 60_000;
const S3_OUTAGE_IMAGES = 40;

/** Jobs kept waiting for the two members (2 slots each) during the saturation run. */
const SATURATION_BACKLOG = 8;

/** Times a member's live lane joined its group, from its metrics. */
async function groupJoins(service: StartedService): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  return Number(/^zocket_kafka_group_joins_total\{lane="live"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

/** The allocator settings the processor's image and infra start use (see its Dockerfile). */
const JEMALLOC = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
function allocatorEnv(kind: string): NodeJS.ProcessEnv {
  if (kind === 'glibc') return {};
  if (kind === 'arena2') return { MALLOC_ARENA_MAX: '2' };
  if (kind === 'jemalloc') {
    if (!existsSync(JEMALLOC)) {
      throw new Error(`${JEMALLOC} is missing: apt-get install libjemalloc2`);
    }
    return { LD_PRELOAD: JEMALLOC };
  }
  throw new Error(`unknown BENCH_ALLOCATOR ${kind}`);
}

export async function faultsSection(
  config: BenchConfig,
  kodak: readonly KodakImage[],
): Promise<FaultKeys> {
  // The processor's own default unless the bench is told another (to compare).
  const sessionTimeoutMs = Number(
    config.kafkaSessionTimeoutMs ??
      processorEnvSchema.shape.KAFKA_SESSION_TIMEOUT_MS.parse(undefined),
  );
  const processorEnv = {
    PROCESSOR_CONCURRENCY: '2',
    ...(config.kafkaSessionTimeoutMs === undefined
      ? {}
      : { KAFKA_SESSION_TIMEOUT_MS: config.kafkaSessionTimeoutMs }),
    ...allocatorEnv(config.allocator),
  };
  // A small photo-like image for the stall batches (processing time stays far below the stall).
  const small = await sharp({
    create: { width: 320, height: 240, channels: 3, background: { r: 90, g: 140, b: 200 } },
  })
    .png()
    .toBuffer();
  // Large photos for the saturation run: Kodak images at 3x (2304 x 1536), a few seconds each.
  const large = await Promise.all(
    kodak.slice(0, 4).map(async (k) => {
      const { width = 768 } = await sharp(k.bytes).metadata();
      return sharp(k.bytes)
        .resize({ width: width * 3 })
        .png({ compressionLevel: 1 })
        .toBuffer();
    }),
  );
  const world = await startWorld(config, 'faults', (req) => {
    const [path, query] = (req.url ?? '').split('?');
    const largeIndex = /^\/large-(\d+)\.png$/.exec(path ?? '')?.[1];
    const bytes =
      path === '/small.png'
        ? small
        : largeIndex !== undefined
          ? large[Number(largeIndex) % large.length]
          : kodak.find((k) => `/${k.name}` === path)?.bytes;
    // A query makes a copy with bytes of its own, so every job renders (no rendition hit).
    return bytes === undefined || query === undefined ? bytes : pngCopy(bytes, query);
  });
  let stopped = false;
  try {
    const api = await world.startApi('api', { OUTBOX_POLL_INTERVAL_MS: '100' });
    const token = await world.token('bench-faults');
    const create = (urls: string[]) =>
      callApi<{ id: string }>(api.url, 'POST', '/products', token, {
        name: `Faults ${randomUUID()}`,
        price: { amountMinor: 1999, currency: 'EUR' },
        imageUrls: urls,
      });
    const waitAllDone = async (productIds: string[], expected: number) => {
      for (;;) {
        const row = await world.db
          .selectFrom('product_images')
          .select((eb) => [eb.fn.countAll().as('n')])
          .where('product_id', 'in', productIds)
          .where('status', 'in', ['ready', 'failed'])
          .executeTakeFirstOrThrow();
        if (Number(row.n) >= expected) return;
        await sleep(50);
      }
    };
    /** Creates `count` one-image products (spread over the partitions) and times them to done. */
    const smallBatch = async (count: number) => {
      const t0 = performance.now();
      const products = await Promise.all(
        Array.from({ length: count }, () =>
          create([`${world.imageBase}/small.png?${randomUUID()}`]),
        ),
      );
      await waitAllDone(
        products.map((p) => p.id),
        count,
      );
      return performance.now() - t0;
    };

    // 1. a member killed (-9)
    const group = `${world.runId}-processors`;
    const survivor = await world.startProcessor('processor 1', {
      ...processorEnv,
      KAFKA_GROUP_ID: group,
    });
    const victim = await world.startProcessor('processor 2', {
      ...processorEnv,
      KAFKA_GROUP_ID: group,
    });
    log('faults: stall, warming up two members of one group');
    await smallBatch(24);
    await sleep(2_000);
    // Both members busy on the two cores with large images: a member whose heartbeats the
    // saturated machine delays past the session timeout is evicted, and the group rebalances.
    const joinsBefore = (await groupJoins(survivor)) + (await groupJoins(victim));
    const saturatedSeconds = config.saturationSeconds;
    log(
      `faults: saturation, ${saturatedSeconds} s of large images (${SATURATION_BACKLOG} waiting) on two members, session ${sessionTimeoutMs} ms`,
    );
    const saturated: string[] = [];
    const load0 = loadavg()[0] as number;
    const until = performance.now() + saturatedSeconds * 1000;
    let created = 0;
    while (performance.now() < until) {
      const row = await world.db
        .selectFrom('product_images')
        .select((eb) => [eb.fn.countAll().as('n')])
        .where('product_id', 'in', saturated.length === 0 ? [randomUUID()] : saturated)
        .where('status', 'in', ['ready', 'failed'])
        .executeTakeFirstOrThrow();
      for (let waiting = created - Number(row.n); waiting < SATURATION_BACKLOG; waiting += 1) {
        saturated.push(
          (await create([`${world.imageBase}/large-${created}.png?${randomUUID()}`])).id,
        );
        created += 1;
      }
      await sleep(500);
    }
    await waitAllDone(saturated, saturated.length);
    const saturatedLoadAvg = ((loadavg()[0] as number) + load0) / 2;
    const saturatedRebalances =
      (await groupJoins(survivor)) + (await groupJoins(victim)) - joinsBefore;
    log(
      `faults: saturation done, ${saturated.length} large images, ${saturatedRebalances} group joins (rebalances) meanwhile (${joinsBefore} before it), load average ${saturatedLoadAvg.toFixed(1)}`,
    );
    await sleep(2_000);
    const baselineMs = await smallBatch(24);
    log(`faults: 24 jobs with both members alive: ${Math.round(baselineMs)} ms`);
    victim.kill('SIGKILL');
    const killedMs = await smallBatch(24);
    log(`faults: 24 jobs produced as one member is killed: ${Math.round(killedMs)} ms`);
    const killStallMs = Math.max(0, killedMs - baselineMs);

    // 2. resident memory
    survivor.kill('SIGTERM');
    const processor: StartedService = await world.startProcessor('processor (memory)', {
      ...processorEnv,
      KAFKA_GROUP_ID: `${world.runId}-memory`,
    });
    const pid = processor.child.pid as number;
    const perProduct = 20;
    log(
      `faults: memory, ${config.rssImages} Kodak images (allocator ${config.allocator}), rss at start ${Math.round(rssMb(pid))} MiB`,
    );
    let done = 0;
    const t0 = performance.now();
    while (done < config.rssImages) {
      // Bounded waves keep the backlog (and so the queue's memory) like a steady load.
      const wave = Math.min(200, config.rssImages - done);
      const ids: string[] = [];
      for (let i = 0; i < wave; i += perProduct) {
        const n = Math.min(perProduct, wave - i);
        const urls = Array.from(
          { length: n },
          (_, k) =>
            `${world.imageBase}/${(kodak[(done + i + k) % kodak.length] as KodakImage).name}?${randomUUID()}`,
        );
        ids.push((await create(urls)).id);
      }
      await waitAllDone(ids, wave);
      done += wave;
      log(
        `faults: ${done} images, rss ${Math.round(rssMb(pid))} MiB, ${(done / ((performance.now() - t0) / 1000)).toFixed(2)} images/s`,
      );
    }
    const processorAfter2000Mb = Math.round(rssMb(pid));
    // A world of its own follows: stop this one first (its processors would compete for CPU).
    stopped = true;
    await world.stop();
    const s3Outage60s = await s3Outage(config, kodak, processorEnv);
    return {
      processor: {
        killStallMs: Math.round(killStallMs),
        sessionTimeoutMs,
        saturatedRebalances,
        saturatedJobs: saturated.length,
        saturatedSeconds,
        saturatedLoadAvg: Math.round(saturatedLoadAvg * 10) / 10,
      },
      rss: { processorAfter2000Mb },
      faults: { s3Outage60s },
    };
  } finally {
    if (!stopped) await world.stop();
  }
}

/**
 * S3 killed for 60 s while a batch of Kodak copies is in flight, in a world of its own whose API
 * and processor use a private S3Proxy: how many images fail, and how long after S3's return the
 * last one is ready.
 */
async function s3Outage(
  config: BenchConfig,
  kodak: readonly KodakImage[],
  processorEnv: NodeJS.ProcessEnv,
): Promise<S3OutageKeys> {
  const s3 = await startPrivateS3();
  const world = await startWorld(config, 'faults-s3', (req) => {
    const [path, query] = (req.url ?? '').split('?');
    const bytes = kodak.find((k) => `/${k.name}` === path)?.bytes;
    return bytes === undefined || query === undefined ? bytes : pngCopy(bytes, query);
  });
  try {
    const s3Env = {
      S3_ENDPOINT: s3.endpoint,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_BUCKET: s3.bucket,
      PUBLIC_IMAGE_BASE_URL: `${s3.endpoint}/${s3.bucket}`,
    };
    const api = await world.startApi('api (s3 outage)', {
      ...s3Env,
      OUTBOX_POLL_INTERVAL_MS: '100',
    });
    await world.startProcessor('processor (s3 outage)', {
      ...processorEnv,
      ...s3Env,
      KAFKA_GROUP_ID: `${world.runId}-s3-outage`,
    });
    const token = await world.token('bench-s3-outage');
    const ids: string[] = [];
    for (let i = 0; i < S3_OUTAGE_IMAGES; i += 1) {
      const image = kodak[i % kodak.length] as KodakImage;
      const product = await callApi<{ id: string }>(api.url, 'POST', '/products', token, {
        name: `S3 outage ${i}`,
        price: { amountMinor: 1999, currency: 'EUR' },
        imageUrls: [`${world.imageBase}/${image.name}?${randomUUID()}`],
      });
      ids.push(product.id);
    }
    const statuses = () =>
      world.db
        .selectFrom('product_images')
        .select(['status', 'attempts'])
        .where('product_id', 'in', ids)
        .execute();
    while (!(await statuses()).some((r) => r.status === 'ready')) await sleep(50);
    const notReadyAtKill = (await statuses()).filter((r) => r.status !== 'ready').length;
    await s3.stop();
    log(`faults: S3 killed with ${notReadyAtKill} of ${S3_OUTAGE_IMAGES} images not ready`);
    await sleep(S3_OUTAGE_MS);
    await s3.start();
    const back = performance.now();
    log('faults: S3 back');
    let rows = await statuses();
    while (rows.some((r) => r.status !== 'ready' && r.status !== 'failed')) {
      await sleep(50);
      rows = await statuses();
    }
    const keys: S3OutageKeys = {
      images: S3_OUTAGE_IMAGES,
      notReadyAtKill,
      failed: rows.filter((r) => r.status === 'failed').length,
      retried: rows.filter((r) => r.attempts > 1).length,
      recoverySeconds: Math.round((performance.now() - back) / 100) / 10,
    };
    log(
      `faults: S3 outage 60 s: ${keys.failed} failed, ${keys.retried} retried, last image ${keys.recoverySeconds} s after S3's return`,
    );
    return keys;
  } finally {
    await world.stop();
    await s3.close();
  }
}
