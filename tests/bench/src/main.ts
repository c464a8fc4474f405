// `npm run bench`: measures the pipeline and the API against ceilings measured in the same run,
// live status, the bulk lane, and the processor's faults and memory. Prints a table and writes
// BENCH_OUT (default <repo>/bench-parts.json). Needs the services of `eval "$(infra/local/up)"`
// (it runs infra/local/up itself when DATABASE_URL is unset) and the Kodak set in
// $IMAGE_FIXTURES/kodak. Sections: `--only core,live,bulk,faults` or BENCH_SECTIONS (default all).
// Each section returns its own keys of the JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import sharp from 'sharp';
import { loadBenchConfig } from './config.js';
import { loadKodak } from './kodak.js';
import { log, round } from './log.js';
import { type BenchResults, formatReport } from './report.js';
import { apiSection } from './sections/api.js';
import { bulkSection } from './sections/bulk.js';
import { faultsSection } from './sections/faults.js';
import { liveSection } from './sections/live.js';
import { measureRawSharp, processorSection } from './sections/processor.js';
import { peakRssMb, startSystem } from './system.js';

const started = Date.now();
const config = (() => {
  try {
    return loadBenchConfig();
  } catch (error) {
    log((error as Error).message);
    process.exit(2);
  }
})();
const { sections } = config;
log(`sections: ${[...sections].join(', ')}`);
const kodak = loadKodak(config.kodakDir);
if (kodak === undefined && (sections.has('core') || sections.has('faults'))) {
  log(`no Kodak set at ${config.kodakDir}: set IMAGE_FIXTURES to the folder holding kodak/`);
  process.exit(2);
}

const parts: Partial<BenchResults> = {};

if (sections.has('core') && kodak !== undefined) {
  // The ceiling first, with nothing else running; then the system.
  const raw = await measureRawSharp(kodak, config.concurrency);
  const system = await startSystem(config, kodak);
  const { products, keys } = await processorSection(
    system,
    kodak,
    raw,
    config.concurrency,
    config.services,
  );
  const sample = products[0];
  if (sample === undefined) throw new Error('no product to read');
  const apiKeys = await apiSection(system, sample.id, config.apiSeconds);
  const rss = { apiMb: peakRssMb(system.apiPid), processorMb: peakRssMb(system.processorPid) };
  await system.stop();
  parts.processor = keys.processor;
  parts.api = apiKeys.api;
  parts.latency = keys.latency;
  parts.rss = { apiMb: round(rss.apiMb, 0), processorMb: round(rss.processorMb, 0) };
}
if (sections.has('live')) {
  parts.live = (await liveSection(config)).live;
}
if (sections.has('bulk')) {
  parts.bulk = (await bulkSection(config, kodak)).bulk;
}
if (sections.has('faults') && kodak !== undefined) {
  const faults = await faultsSection(config, kodak);
  parts.processor = { ...parts.processor, ...faults.processor };
  parts.rss = { ...parts.rss, ...faults.rss };
  parts.faults = faults.faults;
}

// The keys in the order the JSON has always had them.
const results: BenchResults = {
  date: new Date(started).toISOString(),
  machine: {
    cpu: /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  },
  sections: [...sections],
  ...parts,
  wallSeconds: round((Date.now() - started) / 1000, 0),
};

process.stdout.write(formatReport(results));
writeFileSync(config.outFile, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${config.outFile}`);
