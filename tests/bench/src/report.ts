import type { ProbeReport } from './probe.js';
import type { Load } from './sections/api.js';
import type { BulkKeys } from './sections/bulk.js';
import type { FaultKeys } from './sections/faults.js';
import type { LiveKeys } from './sections/live.js';

/** The `core` section's processor keys. */
export interface ProcessorKeys {
  concurrency: number;
  rawImagesPerSecond: number;
  endToEndImagesPerSecond: number;
  efficiency: number;
  rawMsPerImage: number;
  msPerImageByFormat: Record<string, number>;
  cpuEfficiency: number;
  rawCpuMsPerImage: number;
  cpuMsPerImage: Record<string, number>;
  stageCpuMsPerImage?: Record<string, number>;
}

type Tail = { p50: number; p99: number; p99OverP50: number; server?: ProbeReport };

/** The `core` section's API keys. */
export type ApiKeys = Record<
  'ceiling' | 'restCached' | 'trpcCached' | 'restUncached' | 'trpcUncached',
  Load
> &
  Record<`${'rest' | 'trpc'}${'Cached' | 'Uncached'}Ratio`, number> &
  Record<'redisCeiling' | 'redisCeilingApiFlags', Load> &
  Record<
    `${'rest' | 'trpc'}Cached${'Redis' | 'Cpu' | 'RedisCpu' | 'RedisApiFlags' | 'RedisApiFlagsCpu'}Ratio`,
    number | undefined
  > & {
    tailAt100: Record<string, Tail>;
    /** Absent where the cores cannot be pinned. */
    tailAt100Pinned?: Record<string, Tail>;
    restCachedAllCoresRps: number;
    workers: number;
    allCores: {
      oneWorker: { serverCores?: number; loaderCores: number; projectedRpsPerCore?: number };
      workers: {
        serverCores?: number;
        loaderCores: number;
        processCpuMs?: number[];
        projectedRps?: number;
      };
    };
  };

/** bench-results.json: each section's keys are present when the section ran. */
export interface BenchResults {
  date: string;
  machine: { cpu: string; cores: number; node: string; sharp: string; libvips: string };
  sections: string[];
  /** `core` keys, plus `killStallMs` from `faults`. */
  processor?: Partial<ProcessorKeys> & Partial<FaultKeys['processor']>;
  api?: ApiKeys;
  latency?: { createToReadyP50Ms: number; createToReadyP95Ms: number };
  /** `apiMb`, `processorMb` from `core`; `processorAfter2000Mb` from `faults`. */
  rss?: { apiMb?: number; processorMb?: number; processorAfter2000Mb?: number };
  live?: LiveKeys;
  bulk?: BulkKeys;
  /** From `faults`: an S3 outage of 60 s under load. */
  faults?: FaultKeys['faults'];
  /** Sections that failed, with their error message (absent when every section ran through). */
  failedSections?: Record<string, string>;
  wallSeconds: number;
}

const round0 = (n: number) => Math.round(n);

/** A tail at 100 connections, with the server's longest GC pause and event-loop delay. */
const tailRow = (k: string, t: Tail, how: string): Row => [
  `${k} at 100 connections${how} p50/p99 ms (p99/p50); server: GC max ms, loop delay p99/max ms`,
  `${t.p50}/${t.p99}${t.server === undefined ? '' : `; ${t.server.gc.maxMs}, ${t.server.loopDelayMs.p99}/${t.server.loopDelayMs.max}`}`,
  '',
  t.p99OverP50,
];

type Row = (string | number)[];

function coreRows(
  processor: ProcessorKeys,
  api: ApiKeys,
  latency: NonNullable<BenchResults['latency']>,
  rss: NonNullable<BenchResults['rss']>,
): Row[] {
  const reads = ['restCached', 'trpcCached', 'restUncached', 'trpcUncached'] as const;
  return [
    [
      'processor images/s (Kodak, e2e)',
      processor.endToEndImagesPerSecond,
      processor.rawImagesPerSecond,
      processor.efficiency,
    ],
    [
      `raw sharp ms/image, all variants (${processor.concurrency} in flight)`,
      processor.rawMsPerImage,
      '',
      '',
    ],
    ...Object.entries(processor.msPerImageByFormat).map(([f, ms]) => [
      `raw sharp ms/image, ${f} only`,
      ms,
      '',
      '',
    ]),
    ...reads.map((k) => [
      `${k} req/s (p50/p99 ms)`,
      `${round0(api[k].rps)} (${api[k].p50}/${api[k].p99})`,
      `${round0(api.ceiling.rps)} (${api.ceiling.p50}/${api.ceiling.p99})`,
      api[`${k}Ratio`],
    ]),
    ...(['restCached', 'trpcCached'] as const).map((k) => [
      `${k} req/s vs one-ioredis-GET route`,
      round0(api[k].rps),
      round0(api.redisCeiling.rps),
      api[`${k}RedisRatio`] ?? '',
    ]),
    ...(['restCached', 'trpcCached'] as const).map((k) => [
      `${k} req/s; CPU vs one-GET route under the API's V8 flags`,
      round0(api[k].rps),
      `${round0(api.redisCeilingApiFlags.rps)}; ${api.redisCeilingApiFlags.cpuUs ?? ''} µs`,
      `${api[`${k}RedisApiFlagsRatio`] ?? ''}; ${api[`${k}RedisApiFlagsCpuRatio`] ?? ''}`,
    ]),
    ...(['restCached', 'trpcCached'] as const).map((k) => [
      `${k} server CPU µs/request (vs bare / GET route)`,
      api[k].cpuUs ?? '',
      `${api.ceiling.cpuUs ?? ''} / ${api.redisCeiling.cpuUs ?? ''}`,
      `${api[`${k}CpuRatio`] ?? ''} / ${api[`${k}RedisCpuRatio`] ?? ''}`,
    ]),
    ...Object.entries(api.tailAt100).map(([k, t]) => tailRow(k, t, '')),
    ...Object.entries(api.tailAt100Pinned ?? {}).map(([k, t]) => tailRow(k, t, ', pinned')),
    [
      `restCached req/s, ${api.workers} workers vs 1`,
      api.restCachedAllCoresRps,
      round0(api.restCached.rps),
      Math.round((100 * api.restCachedAllCoresRps) / api.restCached.rps) / 100,
    ],
    [
      `restCached cores busy: server / load generator, 1 vs ${api.workers} workers`,
      `${api.allCores.oneWorker.serverCores} / ${api.allCores.oneWorker.loaderCores} vs ${api.allCores.workers.serverCores} / ${api.allCores.workers.loaderCores}`,
      '',
      '',
    ],
    [
      `restCached req/s projected from CPU: 1 core, ${api.workers} workers on ${api.workers} cores`,
      `${api.allCores.oneWorker.projectedRpsPerCore} / ${api.allCores.workers.projectedRps}`,
      '',
      '',
    ],
    [
      'processor CPU ms/image vs raw sharp',
      processor.cpuMsPerImage.processor ?? '',
      processor.rawCpuMsPerImage,
      processor.cpuEfficiency,
    ],
    [
      'processor CPU ms/image: decode+encode threads / main thread (fetch / S3 / db / Kafka probed)',
      `${processor.stageCpuMsPerImage?.decodeEncode} / ${processor.stageCpuMsPerImage?.mainThread} (${['fetch', 's3Writes', 'database', 'kafka'].map((k) => processor.stageCpuMsPerImage?.[k] ?? '-').join(' / ')})`,
      '',
      '',
    ],
    [
      'CPU ms/image: api / bench / postgres / redis / kafka / s3proxy',
      ['api', 'bench', 'postgres', 'redis', 'kafka', 's3proxy']
        .map((k) => processor.cpuMsPerImage[k] ?? '-')
        .join(' / '),
      '',
      '',
    ],
    [
      'create->ready p50 / p95 ms',
      `${latency.createToReadyP50Ms} / ${latency.createToReadyP95Ms}`,
      '',
      '',
    ],
    ['peak RSS api / processor MiB', `${rss.apiMb} / ${rss.processorMb}`, '', ''],
  ];
}

function liveRows(live: LiveKeys): Row[] {
  return [
    [
      `live notify p50 / p95 ms (commit -> subscriber; ${live.notifyAtSubscribers} open, ${live.notifyChangesPerSec} changes/s)`,
      `${live.notifyP50Ms} / ${live.notifyP95Ms}`,
      '',
      '',
    ],
    [
      'live notify p50 / p95 ms (processor commit -> fresh subscriber, one at a time)',
      `${live.processorNotifyP50Ms} / ${live.processorNotifyP95Ms}`,
      '',
      '',
    ],
    [
      `live idle subscriptions within 150 MB (${live.subscribersStoppedBy}); RSS bytes each at ${live.subscribersOpened} (marginal)`,
      live.subscribers,
      `${live.bytesPerSubscriber} (${live.marginalBytesPerSubscriber})`,
      '',
    ],
  ];
}

function bulkRows(bulk: BulkKeys): Row[] {
  return [
    [
      'bulk images/s (cold run)',
      bulk.imagesPerSec,
      bulk.ceilingImagesPerSec,
      bulk.imagesPerSecRatio,
    ],
    [
      'bulk: live create->ready p95 ms, during / idle',
      bulk.liveP95DuringMs,
      bulk.liveP95IdleMs,
      bulk.liveP95DuringOverIdle,
    ],
    [
      'bulk re-run images/s (rendition hits), speedup',
      bulk.rerunImagesPerSec,
      bulk.imagesPerSec,
      bulk.dedupeSpeedup,
    ],
  ];
}

/** The table printed on stdout (rows of the sections that ran), then one line about the machine. */
export function formatReport(results: BenchResults): string {
  const { processor, api, latency, rss, live, bulk, faults } = results;
  const rows: Row[] = [['figure', 'value', 'ceiling', 'ratio']];
  if (processor !== undefined && api !== undefined && latency !== undefined && rss !== undefined) {
    rows.push(...coreRows(processor as ProcessorKeys, api, latency, rss));
  }
  if (live !== undefined) rows.push(...liveRows(live));
  if (bulk !== undefined) rows.push(...bulkRows(bulk));
  if (processor?.killStallMs !== undefined) {
    rows.push(['processor kill -9 stall ms (one of two members)', processor.killStallMs, '', '']);
  }
  if (processor?.saturatedRebalances !== undefined) {
    rows.push([
      `rebalances while saturated (${processor.saturatedJobs} large images, ${processor.saturatedSeconds} s, session ${processor.sessionTimeoutMs} ms, load ${processor.saturatedLoadAvg})`,
      processor.saturatedRebalances,
      '',
      '',
    ]);
  }
  if (rss?.processorAfter2000Mb !== undefined) {
    rows.push(['processor RSS MiB after the RSS run', rss.processorAfter2000Mb, '', '']);
  }
  if (faults !== undefined) {
    const o = faults.s3Outage60s;
    rows.push([
      `S3 down 60 s, ${o.images} images: failed / retried (target 0)`,
      `${o.failed} / ${o.retried}`,
      '',
      '',
    ]);
    rows.push([
      'S3 down 60 s: s from its return to the last image ready',
      o.recoverySeconds,
      '',
      '',
    ]);
  }
  for (const [section, message] of Object.entries(results.failedSections ?? {})) {
    rows.push([`section ${section} FAILED`, message.replace(/\s+/g, ' ').slice(0, 100), '', '']);
  }
  const header = rows[0] as (string | number)[];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const table = rows.map(
    (r) => `| ${r.map((c, i) => String(c).padEnd(widths[i] as number)).join(' | ')} |`,
  );
  table.splice(1, 0, `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  const m = results.machine;
  return (
    `${table.join('\n')}\n` +
    `${m.cpu}, ${m.cores} cores, Node ${m.node}, sharp ${m.sharp}, libvips ${m.libvips}; ${results.date}; ${results.wallSeconds} s\n`
  );
}
