/**
 * `npm run bench:web`: the storefront measured the way Lighthouse measures a public page. Seeds
 * BENCH_WEB_PRODUCTS (>= 24, one grid page) products with the real photos of the fixtures
 * ($IMAGE_FIXTURES/photos, one per product, in turn), waits until the processor has made their
 * variants, then runs Lighthouse (performance only, its default mobile emulation with simulated
 * throttling) on the grid (/shop/) and on the first product's page, BENCH_WEB_RUNS times each
 * (default 3), in Debian's Chromium from infra/local/ensure-chromium (nothing is downloaded).
 * Writes BENCH_WEB_OUT (default bench-web-results.json): web.grid.{lcpMs,cls,imageBytes,
 * originalBytes,score} and web.product.{lcpMs,cls,...}, each the median of the runs, with every
 * run's figures, the machine and its load average beside them. BENCH_WEB_VARIANT_WIDTHS sets the
 * processor's VARIANT_WIDTHS for the run (to compare profiles).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { createZocketClient, type Product } from '@zocket/client';
import { repoRoot } from '@zocket/testkit';
import { launch } from 'chrome-launcher';
import lighthouse from 'lighthouse';
import { loadWebBenchConfig } from './config.js';
import { log, round, sleep } from './log.js';
import { startWorld } from './world.js';

/** Goals the figures are read against (Core Web Vitals' "good" LCP is 2.5 s). */
const TARGETS = { lcpMs: 1500, cls: 0.02, imageBytesOverOriginals: 0.1 };

/** Photographs among the fixtures (the animated and synthetic edge cases are left out). */
function photoFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|webp|avif)$/i.test(f) && !/animated/i.test(f))
    .sort();
}

interface NetworkRequest {
  url: string;
  resourceType?: string;
  transferSize?: number;
  resourceSize?: number;
}

/** The parts of Lighthouse's result read here. */
interface Lhr {
  lighthouseVersion: string;
  userAgent: string;
  categories: { performance?: { score: number | null } };
  audits: Record<
    string,
    { numericValue?: number; details?: { items?: unknown[] }; displayValue?: string }
  >;
  runtimeError?: { code: string; message: string };
}

interface RunFigures {
  lcpMs: number;
  fcpMs: number;
  cls: number;
  score: number;
  totalBytes: number;
  imageBytes: number;
  imageRequests: number;
  /** Bytes of the originals of the images whose variants this load fetched. */
  loadedOriginalBytes: number;
  lcpElement: string | undefined;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The original (its image and bytes) of every variant URL. */
type Originals = ReadonlyMap<string, { imageId: string; bytes: number }>;

function figures(lhr: Lhr, originalByVariantUrl: Originals): RunFigures {
  if (lhr.runtimeError !== undefined) {
    throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  }
  const value = (id: string) => {
    const v = lhr.audits[id]?.numericValue;
    if (v === undefined) throw new Error(`Lighthouse gave no ${id}`);
    return v;
  };
  const requests = (lhr.audits['network-requests']?.details?.items ?? []) as NetworkRequest[];
  const images = requests.filter((r) => r.resourceType === 'Image' && !r.url.startsWith('data:'));
  // Each image's original counted once, however many of its widths the page fetched.
  const loaded = new Map<string, number>();
  for (const r of images) {
    const original = originalByVariantUrl.get(r.url);
    if (original !== undefined) loaded.set(original.imageId, original.bytes);
  }
  const loadedOriginalBytes = [...loaded.values()].reduce((sum, b) => sum + b, 0);
  const lcpItems = lhr.audits['largest-contentful-paint-element']?.details?.items as
    | { items?: { node?: { snippet?: string } }[] }[]
    | undefined;
  return {
    lcpMs: Math.round(value('largest-contentful-paint')),
    fcpMs: Math.round(value('first-contentful-paint')),
    cls: round(value('cumulative-layout-shift'), 4),
    score: Math.round((lhr.categories.performance?.score ?? 0) * 100),
    totalBytes: Math.round(value('total-byte-weight')),
    imageBytes: images.reduce((sum, r) => sum + (r.transferSize ?? 0), 0),
    imageRequests: images.length,
    loadedOriginalBytes,
    lcpElement: lcpItems?.[0]?.items?.[0]?.node?.snippet,
  };
}

/** Every figure's median over the runs (the element of the median LCP's run). */
function medians(runs: readonly RunFigures[]) {
  const pick = (key: keyof Omit<RunFigures, 'lcpElement'>) => median(runs.map((r) => r[key]));
  const lcpMs = pick('lcpMs');
  return {
    lcpMs,
    fcpMs: pick('fcpMs'),
    cls: pick('cls'),
    score: pick('score'),
    totalBytes: pick('totalBytes'),
    imageBytes: pick('imageBytes'),
    imageRequests: pick('imageRequests'),
    loadedOriginalBytes: pick('loadedOriginalBytes'),
    lcpElement: runs.find((r) => r.lcpMs === lcpMs)?.lcpElement ?? runs[0]?.lcpElement,
  };
}

async function main() {
  const config = loadWebBenchConfig();
  const photos = photoFiles(config.photosDir);
  if (photos.length === 0) throw new Error(`no photos in ${config.photosDir}`);
  const chromePath = execFileSync(join(repoRoot(), 'infra', 'local', 'ensure-chromium'), {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const chromeVersion = execFileSync(chromePath, ['--version'], { encoding: 'utf8' }).trim();
  const loadBefore = loadavg().map((l) => round(l, 2));
  log(`seeding ${config.products} products from ${photos.length} photos; ${chromeVersion}`);

  const world = await startWorld(config, 'web', (req) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    return photos.includes(name) ? readFileSync(join(config.photosDir, name)) : undefined;
  });
  let chrome: Awaited<ReturnType<typeof launch>> | undefined;
  try {
    const api = await world.startApi('web-api');
    await world.startProcessor('web-processor', {
      PROCESSOR_CONCURRENCY: '2',
      ...(config.variantWidths === undefined ? {} : { VARIANT_WIDTHS: config.variantWidths }),
    });
    const seller = createZocketClient({ url: api.url, token: await world.token('web-seller') });
    const created: Product[] = [];
    for (let i = 0; i < config.products; i += 1) {
      const photo = photos[i % photos.length] as string;
      created.push(
        await seller.products.create.mutate({
          name: basename(photo)
            .replace(/\.[a-z]+$/i, '')
            .replace(/[_-]+/g, ' '),
          description: `Photo ${photo}`,
          price: { amountMinor: 990 + i * 250, currency: 'EUR' },
          imageUrls: [`${world.imageBase}/${encodeURIComponent(photo)}`],
        }),
      );
    }
    // All images processed (ready or failed) before any page is measured.
    const deadline = Date.now() + 15 * 60_000;
    let products: Product[] = [];
    for (;;) {
      products = await Promise.all(created.map((p) => seller.products.byId.query({ id: p.id })));
      const waiting = products.filter((p) =>
        p.images.some((i) => i.status === 'pending' || i.status === 'processing'),
      ).length;
      if (waiting === 0) break;
      if (Date.now() > deadline) throw new Error(`${waiting} products still processing`);
      await sleep(1000);
    }
    const failed = products.flatMap((p) => p.images).filter((i) => i.status === 'failed');
    for (const image of failed) log(`image failed: ${image.failureReason}`);

    const originalByVariantUrl = new Map<string, { imageId: string; bytes: number }>();
    for (const image of products.flatMap((p) => p.images)) {
      for (const v of image.variants) {
        originalByVariantUrl.set(v.url, { imageId: image.id, bytes: image.bytes ?? 0 });
      }
    }
    const page = await seller.products.list.query({ limit: 24 });
    const gridOriginalBytes = page.items
      .flatMap((p) => p.images.slice(0, 1))
      .reduce((sum, i) => sum + (i.bytes ?? 0), 0);
    const first = page.items[0];
    if (first === undefined) throw new Error('the grid is empty');

    chrome = await launch({
      chromePath,
      chromeFlags: [
        '--headless=new',
        '--no-sandbox',
        '--disable-dev-shm-usage',
        // Nothing but the page on the wire: no updates, sync, metrics or component downloads.
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-domain-reliability',
        '--disable-sync',
        '--metrics-recording-only',
        '--no-first-run',
      ],
    });
    const port = chrome.port;
    const measure = async (label: string, url: string) => {
      const runs: RunFigures[] = [];
      let meta: Pick<Lhr, 'lighthouseVersion' | 'userAgent'> | undefined;
      for (let run = 1; run <= config.runs; run += 1) {
        let lhr: Lhr | undefined;
        // A trace Chromium failed to record (NO_NAVSTART on a loaded machine) is run again.
        for (let attempt = 1; lhr === undefined; attempt += 1) {
          const result = await lighthouse(url, {
            port,
            output: 'json',
            logLevel: 'error',
            onlyCategories: ['performance'],
          });
          if (result === undefined) throw new Error(`Lighthouse returned nothing for ${url}`);
          const candidate = result.lhr as unknown as Lhr;
          if (candidate.runtimeError === undefined || attempt === 3) lhr = candidate;
          else log(`${label} run ${run}: ${candidate.runtimeError.code}, running it again`);
        }
        meta = { lighthouseVersion: lhr.lighthouseVersion, userAgent: lhr.userAgent };
        const f = figures(lhr, originalByVariantUrl);
        log(
          `${label} run ${run}: LCP ${f.lcpMs} ms, CLS ${f.cls}, score ${f.score}, images ${f.imageRequests} / ${f.imageBytes} B`,
        );
        runs.push(f);
      }
      return { runs, meta };
    };
    const grid = await measure('grid', `${api.url}/shop/`);
    const product = await measure('product', `${api.url}/shop/p/${first.id}`);

    const gridMedian = medians(grid.runs);
    const productMedian = medians(product.runs);
    const results = {
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        node: process.version,
        chromium: chromeVersion,
        lighthouse: grid.meta?.lighthouseVersion,
        userAgent: grid.meta?.userAgent,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg().map((l) => round(l, 2)),
      },
      setup: {
        products: config.products,
        photos: photos.length,
        failedImages: failed.length,
        runsPerPage: config.runs,
        variantWidths: config.variantWidths ?? 'the processor default',
        mode: 'Lighthouse default: mobile emulation, simulated throttling',
      },
      targets: TARGETS,
      web: {
        grid: {
          ...gridMedian,
          originalBytes: gridOriginalBytes,
          imageBytesOverOriginals: round(gridMedian.imageBytes / gridOriginalBytes, 4),
          imageBytesOverLoadedOriginals:
            gridMedian.loadedOriginalBytes === 0
              ? null
              : round(gridMedian.imageBytes / gridMedian.loadedOriginalBytes, 4),
        },
        product: productMedian,
      },
      runs: { grid: grid.runs, product: product.runs },
    };
    writeFileSync(config.outFile, `${JSON.stringify(results, null, 2)}\n`);
    const g = results.web.grid;
    const p = results.web.product;
    process.stdout.write(
      [
        `grid     LCP ${g.lcpMs} ms, CLS ${g.cls}, score ${g.score}, images ${g.imageBytes} B of originals ${g.originalBytes} B (${g.imageBytesOverOriginals}; of the loaded images' originals ${g.imageBytesOverLoadedOriginals})`,
        `product  LCP ${p.lcpMs} ms, CLS ${p.cls}, score ${p.score}, images ${p.imageBytes} B`,
        `written to ${config.outFile}`,
        '',
      ].join('\n'),
    );
  } finally {
    chrome?.kill();
    await world.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
