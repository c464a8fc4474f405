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
}

/** Takes the services from the environment, or from `infra/local/up` when DATABASE_URL is unset. */
export function loadBenchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
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
  };
}

/** What `npm run bench:quality` reads from its environment (it needs no service). */
export interface QualityBenchConfig {
  kodakDir: string;
  /** Image name prefixes to run (`BENCH_QUALITY_IMAGES`, e.g. `kodim01,kodim13`); all when unset. */
  only: string[] | undefined;
  /** The search's target for both formats (`QUALITY_TARGET`); each format's own when unset. */
  target: number | undefined;
  /** Where the JSON goes (`BENCH_QUALITY_OUT`, default `<repo>/bench-quality-results.json`). */
  outFile: string;
}

export function loadQualityBenchConfig(env: NodeJS.ProcessEnv = process.env): QualityBenchConfig {
  const only = env.BENCH_QUALITY_IMAGES?.split(',').filter((name) => name !== '');
  return {
    kodakDir: join(imageFixturesDir(), 'kodak'),
    only: only === undefined || only.length === 0 ? undefined : only,
    target: env.QUALITY_TARGET ? Number(env.QUALITY_TARGET) : undefined,
    outFile: env.BENCH_QUALITY_OUT ?? join(repoRoot(), 'bench-quality-results.json'),
  };
}
