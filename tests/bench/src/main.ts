// `npm run bench`: measures the pipeline and the API against ceilings measured in the same run,
// live status, the bulk lane, and the processor's faults and memory. Prints a table and writes
// BENCH_OUT (default <repo>/bench-parts.json). Needs the services of `eval "$(infra/local/up)"`
// (it runs infra/local/up itself when DATABASE_URL is unset) and the Kodak set in
// $IMAGE_FIXTURES/kodak. Sections: `--only core,live,bulk,faults` or BENCH_SECTIONS (default all).
// Each section returns its own keys of the JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import sharp from 'sharp';
import { installChildCleanup } from './children.js';
import { loadBenchConfig } from './config.js';
import { loadKodak } from './kodak.js';
import { log, round } from './log.js';
import { type BenchResults, formatReport } from './report.js';
import { runSection } from './run-section.js';
import { apiSection } from './sections/api.js';
import { bulkSection } from './sections/bulk.js';
import { faultsSection } from './sections/faults.js';
import { liveSection } from './sections/live.js';
import { measureRawSharp, processorSection } from './sections/processor.js';
import { peakRssMb, startSystem } from './system.js';

const started = Date.now();
// Whatever ends the bench (a signal, an uncaught error), no child it started is left running.
installChildCleanup();
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
/** Sections that threw, with their message: the others still run and write their keys. */
const failures: Record<string, string> = {};

if (sections.has('core') && kodak !== undefined) {
  await runSection(
    'core',
    async () => {
      // The ceiling first, with nothing else running; then the system.
      const raw = await measureRawSharp(kodak, config.concurrency);
      const system = await startSystem(config, kodak);
      try {
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
        const rss = {
          apiMb: peakRssMb(system.apiPid),
          processorMb: peakRssMb(system.processorPid),
        };
        parts.processor = keys.processor;
        parts.api = apiKeys.api;
        parts.latency = keys.latency;
        parts.rss = { apiMb: round(rss.apiMb, 0), processorMb: round(rss.processorMb, 0) };
      } finally {
        await system.stop();
      }
    },
    failures,
  );
}
if (sections.has('live')) {
  const live = await runSection('live', () => liveSection(config), failures);
  if (live !== undefined) parts.live = live.live;
}
if (sections.has('bulk')) {
  const bulk = await runSection('bulk', () => bulkSection(config, kodak), failures);
  if (bulk !== undefined) parts.bulk = bulk.bulk;
}
if (sections.has('faults') && kodak !== undefined) {
  const faults = await runSection('faults', () => faultsSection(config, kodak), failures);
  if (faults !== undefined) {
    parts.processor = { ...parts.processor, ...faults.processor };
    parts.rss = { ...parts.rss, ...faults.rss };
    parts.faults = faults.faults;
  }
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
  ...(Object.keys(failures).length === 0 ? {} : { failedSections: failures }),
  wallSeconds: round((Date.now() - started) / 1000, 0),
};

process.stdout.write(formatReport(results));
writeFileSync(config.outFile, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${config.outFile}`);
if (Object.keys(failures).length > 0) {
  log(`failed sections: ${Object.keys(failures).join(', ')}`);
  process.exitCode = 1;
}
