import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  imageFixturesDir,
  parseExports,
  repoRoot,
  servicesFromEnv,
  type TestServices,
} from '@zocket/testkit';
import { log } from './log.js';

/** Everything the bench reads from its environment, read here only. */
export interface BenchConfig {
  services: TestServices;
  /** The Kodak set: `$IMAGE_FIXTURES/kodak`. */
  kodakDir: string;
  /** Images in flight in the processor and in the raw sharp ceiling (`PROCESSOR_CONCURRENCY`). */
  concurrency: number;
  /** Length of each API load (`BENCH_API_SECONDS`). */
  apiSeconds: number;
  /** Where the JSON goes (`BENCH_OUT`, default `<repo>/bench-results.json`). */
  outFile: string;
  /** The PATH the services are started with. */
  path: string | undefined;
  /** The sections to run (`--only a,b` or `BENCH_SECTIONS`; default all). */
  sections: ReadonlySet<BenchSection>;
  /** Live section: products timed (`BENCH_LIVE_SAMPLES`), idle-subscription cap (`BENCH_LIVE_MAX_SUBSCRIBERS`). */
  liveSamples: number;
  liveMaxSubscribers: number;
  /**
   * Live section under load: products the subscriptions watch (`BENCH_LIVE_PRODUCTS`), product
   * changes per second (`BENCH_LIVE_CHANGES_PER_SEC`) for `BENCH_LIVE_LOAD_SECONDS`.
   */
  liveProducts: number;
  liveChangesPerSec: number;
  liveLoadSeconds: number;
  /** Bulk section: images per run (`BENCH_BULK_IMAGES`), live samples each way (`BENCH_BULK_LIVE_SAMPLES`), lane slots (`BULK_CONCURRENCY`). */
  bulkImages: number;
  bulkLiveSamples: number;
  bulkConcurrency: number;
  /** Faults section: Kodak images before the RSS reading (`BENCH_RSS_IMAGES`), allocator (`BENCH_ALLOCATOR`). */
  rssImages: number;
  allocator: string;
  /** Faults section: seconds both members are kept busy with large images (`BENCH_SATURATION_SECONDS`). */
  saturationSeconds: number;
  /** `KAFKA_SESSION_TIMEOUT_MS` for the faults section's processors, when set (to compare). */
  kafkaSessionTimeoutMs: string | undefined;
}

/** `core`: processor and API against their ceilings; `live`; `bulk`; `faults`: kill stall and RSS. */
export const BENCH_SECTIONS = ['core', 'live', 'bulk', 'faults'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];
const ALIASES: Record<string, BenchSection> = { api: 'core', processor: 'core', rss: 'faults' };

/** `--only a,b` (argv) wins over `BENCH_SECTIONS`; `api` and `processor` name `core`. */
export function parseSections(spec: string | undefined): ReadonlySet<BenchSection> {
  if (spec === undefined || spec.trim() === '' || spec.trim() === 'all') {
    return new Set(BENCH_SECTIONS);
  }
  const picked = new Set<BenchSection>();
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (name === '') continue;
    const section = ALIASES[name] ?? BENCH_SECTIONS.find((s) => s === name);
    if (section === undefined) {
      throw new Error(`unknown bench section ${name}: pick from ${BENCH_SECTIONS.join(', ')}`);
    }
    picked.add(section);
  }
  return picked;
}

function onlyArg(argv: readonly string[]): string | undefined {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i < 0) return undefined;
  const arg = argv[i] as string;
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
}

/** Takes the services from the environment, or from `infra/local/up` when DATABASE_URL is unset. */
export function loadBenchConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
): BenchConfig {
  // First, so a wrong name fails before anything starts.
  const sections = parseSections(onlyArg(argv) ?? env.BENCH_SECTIONS);
  let serviceEnv = env;
  if (!env.DATABASE_URL) {
    log('DATABASE_URL unset: running infra/local/up');
    const out = execFileSync(join(repoRoot(), 'infra/local/up'), {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    serviceEnv = { ...env, ...parseExports(out) };
  }
  const services = servicesFromEnv(serviceEnv);
  if (services === undefined) throw new Error('the service variables are incomplete');
  return {
    services,
    kodakDir: join(imageFixturesDir(), 'kodak'),
    concurrency: Number(env.PROCESSOR_CONCURRENCY ?? 2),
    apiSeconds: Number(env.BENCH_API_SECONDS ?? 8),
    outFile: env.BENCH_OUT ?? join(repoRoot(), 'bench-results.json'),
    path: env.PATH,
    sections,
    liveSamples: Number(env.BENCH_LIVE_SAMPLES ?? 40),
    liveMaxSubscribers: Number(env.BENCH_LIVE_MAX_SUBSCRIBERS ?? 10_000),
    liveProducts: Number(env.BENCH_LIVE_PRODUCTS ?? 1_000),
    liveChangesPerSec: Number(env.BENCH_LIVE_CHANGES_PER_SEC ?? 100),
    liveLoadSeconds: Number(env.BENCH_LIVE_LOAD_SECONDS ?? 20),
    bulkImages: Number(env.BENCH_BULK_IMAGES ?? 96),
    bulkLiveSamples: Number(env.BENCH_BULK_LIVE_SAMPLES ?? 10),
    bulkConcurrency: Number(env.BULK_CONCURRENCY ?? 2),
    rssImages: Number(env.BENCH_RSS_IMAGES ?? 2000),
    allocator: env.BENCH_ALLOCATOR ?? 'jemalloc',
    saturationSeconds: Number(env.BENCH_SATURATION_SECONDS ?? 90),
    kafkaSessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
  };
}

/** What `npm run bench:quality` reads from its environment (it needs no service). */
export interface QualityBenchConfig {
  kodakDir: string;
  /** Image name prefixes to run (`BENCH_QUALITY_IMAGES`, e.g. `kodim01,kodim13`); all when unset. */
  only: string[] | undefined;
  /**
   * The search's target per format, as the processor reads it (`QUALITY_TARGET_WEBP` /
   * `QUALITY_TARGET_AVIF`, else `QUALITY_TARGET`); each format's own default when unset.
   */
  targets: { webp: number | undefined; avif: number | undefined };
  /** Where the JSON goes (`BENCH_QUALITY_OUT`, default `<repo>/bench-quality-results.json`). */
  outFile: string;
  /**
   * libvips threads for the image in flight (`BENCH_QUALITY_THREADS`, default 1, so that times
   * compare run to run on a shared machine; the cores' count shows what one image costs with all).
   */
  threads: number;
}

function numberOrUndefined(value: string | undefined): number | undefined {
  return value ? Number(value) : undefined;
}

export function loadQualityBenchConfig(env: NodeJS.ProcessEnv = process.env): QualityBenchConfig {
  const only = env.BENCH_QUALITY_IMAGES?.split(',').filter((name) => name !== '');
  return {
    kodakDir: join(imageFixturesDir(), 'kodak'),
    only: only === undefined || only.length === 0 ? undefined : only,
    targets: {
      webp: numberOrUndefined(env.QUALITY_TARGET_WEBP ?? env.QUALITY_TARGET),
      avif: numberOrUndefined(env.QUALITY_TARGET_AVIF ?? env.QUALITY_TARGET),
    },
    outFile: env.BENCH_QUALITY_OUT ?? join(repoRoot(), 'bench-quality-results.json'),
    threads: positiveInt(env.BENCH_QUALITY_THREADS, 'BENCH_QUALITY_THREADS') ?? 1,
  };
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** What `npm run bench:web` reads from its environment. */
export interface WebBenchConfig {
  services: TestServices;
  path: string | undefined;
  /** Real photos to seed the catalogue with: `$IMAGE_FIXTURES/photos`. */
  photosDir: string;
  /** Products seeded, one photo each (`BENCH_WEB_PRODUCTS`, at least 24: one grid page). */
  products: number;
  /** Lighthouse runs per page; the median is reported (`BENCH_WEB_RUNS`). */
  runs: number;
  /** Where the JSON goes (`BENCH_WEB_OUT`, default `<repo>/bench-web-results.json`). */
  outFile: string;
  /** The processor's `VARIANT_WIDTHS` for this run (`BENCH_WEB_VARIANT_WIDTHS`); its default when unset. */
  variantWidths: string | undefined;
}

export function loadWebBenchConfig(env: NodeJS.ProcessEnv = process.env): WebBenchConfig {
  const { services, path } = loadBenchConfig(env, []);
  const products = Number(env.BENCH_WEB_PRODUCTS ?? 24);
  if (!Number.isInteger(products) || products < 24) {
    throw new Error(`BENCH_WEB_PRODUCTS must be an integer of at least 24, not ${products}`);
  }
  return {
    services,
    path,
    photosDir: join(imageFixturesDir(), 'photos'),
    products,
    runs: Number(env.BENCH_WEB_RUNS ?? 3),
    outFile: env.BENCH_WEB_OUT ?? join(repoRoot(), 'bench-web-results.json'),
    variantWidths: env.BENCH_WEB_VARIANT_WIDTHS || undefined,
  };
}
