import type { Load } from './sections/api.js';

export interface BenchResults {
  date: string;
  machine: { cpu: string; cores: number; node: string; sharp: string; libvips: string };
  processor: {
    concurrency: number;
    rawImagesPerSecond: number;
    endToEndImagesPerSecond: number;
    efficiency: number;
    rawMsPerImage: number;
    msPerImageByFormat: Record<string, number>;
    cpuEfficiency: number;
    rawCpuMsPerImage: number;
    cpuMsPerImage: Record<string, number>;
  };
  api: Record<'ceiling' | 'restCached' | 'trpcCached' | 'restUncached' | 'trpcUncached', Load> &
    Record<`${'rest' | 'trpc'}${'Cached' | 'Uncached'}Ratio`, number> &
    Record<'redisCeiling', Load> &
    Record<`${'rest' | 'trpc'}Cached${'Redis' | 'Cpu' | 'RedisCpu'}Ratio`, number | undefined> & {
      tailAt100: Record<string, { p50: number; p99: number; p99OverP50: number }>;
      restCachedAllCoresRps: number;
      workers: number;
    };
  latency: { createToReadyP50Ms: number; createToReadyP95Ms: number };
  rss: { apiMb: number; processorMb: number };
  wallSeconds: number;
}

const round0 = (n: number) => Math.round(n);

/** The table printed on stdout, then one line about the machine. */
export function formatReport(results: BenchResults): string {
  const { processor, api } = results;
  const reads = ['restCached', 'trpcCached', 'restUncached', 'trpcUncached'] as const;
  const rows: (string | number)[][] = [
    ['figure', 'value', 'ceiling', 'ratio'],
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
      `${k} server CPU µs/request (vs bare / GET route)`,
      api[k].cpuUs ?? '',
      `${api.ceiling.cpuUs ?? ''} / ${api.redisCeiling.cpuUs ?? ''}`,
      `${api[`${k}CpuRatio`] ?? ''} / ${api[`${k}RedisCpuRatio`] ?? ''}`,
    ]),
    ...Object.entries(api.tailAt100).map(([k, t]) => [
      `${k} at 100 connections p50/p99 ms (p99/p50)`,
      `${t.p50}/${t.p99}`,
      '',
      t.p99OverP50,
    ]),
    [
      `restCached req/s, ${api.workers} workers vs 1`,
      api.restCachedAllCoresRps,
      round0(api.restCached.rps),
      Math.round((100 * api.restCachedAllCoresRps) / api.restCached.rps) / 100,
    ],
    [
      'processor CPU ms/image vs raw sharp',
      processor.cpuMsPerImage.processor ?? '',
      processor.rawCpuMsPerImage,
      processor.cpuEfficiency,
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
      `${results.latency.createToReadyP50Ms} / ${results.latency.createToReadyP95Ms}`,
      '',
      '',
    ],
    ['peak RSS api / processor MiB', `${results.rss.apiMb} / ${results.rss.processorMb}`, '', ''],
  ];
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
