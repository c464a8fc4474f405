// `npm run bench`: measures the pipeline and the API against ceilings measured in the same run.
// Prints a table and writes BENCH_OUT (default <repo>/bench-results.json). Needs the services of
// `eval "$(infra/local/up)"` (it runs infra/local/up itself when DATABASE_URL is unset) and the
// Kodak set in $IMAGE_FIXTURES/kodak. Each section returns its own keys of the JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import sharp from 'sharp';
import { loadBenchConfig } from './config.js';
import { loadKodak } from './kodak.js';
import { log, round } from './log.js';
import { formatReport } from './report.js';
import { apiSection } from './sections/api.js';
import { measureRawSharp, processorSection } from './sections/processor.js';
import { peakRssMb, startSystem } from './system.js';

const started = Date.now();
const config = loadBenchConfig();
const kodak = loadKodak(config.kodakDir);
if (kodak === undefined) {
  log(`no Kodak set at ${config.kodakDir}: set IMAGE_FIXTURES to the folder holding kodak/`);
  process.exit(2);
}

// The ceiling first, with nothing else running; then the system.
const raw = await measureRawSharp(kodak, config.concurrency);
const system = await startSystem(config, kodak);
const { products, keys: processorKeys } = await processorSection(
  system,
  kodak,
  raw,
  config.concurrency,
);
const sample = products[0];
if (sample === undefined) throw new Error('no product to read');
const apiKeys = await apiSection(system, sample.id, config.apiSeconds);
const rss = { apiMb: peakRssMb(system.apiPid), processorMb: peakRssMb(system.processorPid) };

const results = {
  date: new Date().toISOString(),
  machine: {
    cpu: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  },
  processor: processorKeys.processor,
  api: apiKeys.api,
  latency: processorKeys.latency,
  rss: { apiMb: round(rss.apiMb, 0), processorMb: round(rss.processorMb, 0) },
  wallSeconds: 0,
};

await system.stop();
results.wallSeconds = round((Date.now() - started) / 1000, 0);

process.stdout.write(formatReport(results));
writeFileSync(config.outFile, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${config.outFile}`);
