/**
 * `npm run bench:quality`: bytes and SSIMULACRA2 of the quality-searched profile's (QUALITY_TARGET)
 * full-size variants of the Kodak set ($IMAGE_FIXTURES/kodak, 24 PNGs 768x512) next to
 * fixed-quality baselines (imgproxy's defaults: WebP q79 effort 4, AVIF q63 4:2:0 effort 1), one
 * image in flight, BENCH_QUALITY_THREADS libvips threads (default 1). Prints a table and the worst
 * three images per format, and writes BENCH_QUALITY_OUT (default bench-quality-results.json):
 * quality.<format>.bytesRatio (profile / baseline), quality.<format>.minScore and
 * quality.<format>.baselineMinScore, among others, and the default profile's fixed encodes (the fast
 * pass) against the same baselines: quality.fast.<format>.{bytesRatio,minScore,encodeMsRatio}
 * (targets <= 1.0, >= baselineMinScore, <= 1.1); the costs are also divided by a baseline encode
 * of each image timed beside it (msPerImageVsBaselineEncode), and the load average is recorded.
 * The search's target is the processor's (QUALITY_TARGET_WEBP / QUALITY_TARGET_AVIF, else
 * QUALITY_TARGET) when set, else 70 for WebP and 70.65 for AVIF (the AVIF baseline's worst Kodak
 * score: 70.646 with two threads, 70.55 with one). BENCH_QUALITY_IMAGES=kodim01,kodim02 runs a
 * subset. `--explore` also runs the search aimed at each baseline's own minimum and with other
 * AVIF settings (bit depth, chroma subsampling, effort).
 * A standalone entry point, so it reads the environment itself.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  type EncoderSettings,
  hasFewColours,
  processImage,
  rgbPixels,
  SEARCH_AVIF,
  SEARCH_WEBP,
  Ssimulacra2Reference,
  type VariantFormat,
  type VariantProfile,
  withTargetScore,
} from '@zocket/image-processor';
import sharp from 'sharp';
import { loadQualityBenchConfig } from './config.js';

const SEARCH: Record<VariantFormat, EncoderSettings> = { webp: SEARCH_WEBP, avif: SEARCH_AVIF };

interface Row {
  image: string;
  bytes: number;
  score: number;
  quality: number;
  /** The whole per-image cost: decode, search (encodes + scores) and the variant. */
  ms: number;
}

interface Summary {
  label: string;
  meanBytes: number;
  meanScore: number;
  minScore: number;
  meanMs: number;
  meanQuality: number;
  rows: Row[];
}

/**
 * imgproxy's defaults (3.27 and later): IMGPROXY_FORMAT_QUALITY webp=79,avif=63,
 * IMGPROXY_WEBP_EFFORT=4 and IMGPROXY_AVIF_SPEED=8, which imgproxy hands to libvips as effort
 * 9 - 8 = 1; libvips subsamples chroma below quality 90.
 */
const BASELINES: Record<VariantFormat, EncoderSettings> = {
  webp: { quality: 79, effort: 4 },
  avif: { quality: 63, effort: 1, chromaSubsampling: '4:2:0' },
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function summarize(label: string, rows: Row[]): Summary {
  return {
    label,
    meanBytes: mean(rows.map((r) => r.bytes)),
    meanScore: mean(rows.map((r) => r.score)),
    minScore: Math.min(...rows.map((r) => r.score)),
    meanMs: mean(rows.map((r) => r.ms)),
    meanQuality: mean(rows.map((r) => r.quality)),
    rows,
  };
}

/** One encode of `input` with `settings` at `quality`, as the pipeline would make it. */
function encodeOnce(
  format: VariantFormat,
  settings: EncoderSettings,
  quality: number,
  input: Buffer,
): Promise<Buffer> {
  return format === 'webp'
    ? sharp(input)
        .webp({
          quality,
          effort: settings.effort,
          smartSubsample: settings.smartSubsample ?? false,
        })
        .toBuffer()
    : sharp(input)
        .avif({
          quality,
          effort: settings.effort,
          chromaSubsampling: settings.chromaSubsampling ?? '4:4:4',
          ...(settings.bitdepth && { bitdepth: settings.bitdepth }),
        })
        .toBuffer();
}

/** One fixed encode per image, scored independently of the pipeline. */
async function baseline(
  format: VariantFormat,
  settings: EncoderSettings,
  images: [string, Buffer][],
): Promise<Summary> {
  const rows: Row[] = [];
  for (const [name, input] of images) {
    const reference = new Ssimulacra2Reference(await rgbPixels(sharp(input)));
    const started = performance.now();
    const data = await encodeOnce(format, settings, settings.quality, input);
    const ms = performance.now() - started;
    const score = reference.score(await rgbPixels(sharp(data)));
    rows.push({ image: name, bytes: data.length, score, quality: settings.quality, ms });
  }
  const s = settings;
  const label = `${format} q${s.quality} e${s.effort}${s.chromaSubsampling ? ` ${s.chromaSubsampling}` : ''} (fixed, imgproxy's default)`;
  return summarize(label, rows);
}

type ProfileSummary = Summary & { finalEncodeMs: number; baselineEncodeMs: number };

/** The pipeline with `settings` for `format`, full-size variant only; its recorded score is checked. */
async function profileRun(
  format: VariantFormat,
  settings: EncoderSettings,
  images: [string, Buffer][],
  label: string,
): Promise<ProfileSummary> {
  const profile: VariantProfile = {
    ...DEFAULT_PROFILE,
    widths: [],
    formats: [format],
    [format]: settings,
  };
  const rows: Row[] = [];
  const finalMs: number[] = [];
  const baselineMs: number[] = [];
  for (const [name, input] of images) {
    const started = performance.now();
    const result = await processImage(input, profile, DEFAULT_DECODE_LIMITS);
    const ms = performance.now() - started;
    const variant = result.variants[0];
    if (variant === undefined) throw new Error(`${name}: no variant`);
    // The score in the variant's metadata must be the one an independent measurement finds.
    const score = new Ssimulacra2Reference(await rgbPixels(sharp(input))).score(
      await rgbPixels(sharp(variant.data)),
    );
    if (variant.score !== undefined && Math.abs(variant.score - score) > 0.01) {
      throw new Error(`${name}: recorded score ${variant.score} but measured ${score}`);
    }
    // The cost of encoding the chosen quality once, as a fixed-quality profile would.
    const encodeStarted = performance.now();
    await encodeOnce(format, settings, variant.quality, input);
    finalMs.push(performance.now() - encodeStarted);
    // And the baseline's encode of the same image at the same moment, so that a change in the
    // machine's load during the run cannot skew the ratio of the two costs.
    const baselineStarted = performance.now();
    await encodeOnce(format, BASELINES[format], BASELINES[format].quality, input);
    baselineMs.push(performance.now() - baselineStarted);
    rows.push({ image: name, bytes: variant.bytes, score, quality: variant.quality, ms });
  }
  return {
    ...summarize(label, rows),
    finalEncodeMs: mean(finalMs),
    baselineEncodeMs: mean(baselineMs),
  };
}

/**
 * The default profile's fixed encode of each image ("fast pass"), full-size variant only, from the
 * pipeline itself; its encode is timed right beside the baseline's encode of the same image.
 */
async function fastRun(format: VariantFormat, images: [string, Buffer][]): Promise<ProfileSummary> {
  const settings = DEFAULT_PROFILE[format];
  const profile: VariantProfile = { ...DEFAULT_PROFILE, widths: [], formats: [format] };
  const rows: Row[] = [];
  const fastMs: number[] = [];
  const baselineMs: number[] = [];
  for (const [name, input] of images) {
    const result = await processImage(input, profile, DEFAULT_DECODE_LIMITS);
    const variant = result.variants[0];
    if (variant === undefined) throw new Error(`${name}: no variant`);
    const score = new Ssimulacra2Reference(await rgbPixels(sharp(input))).score(
      await rgbPixels(sharp(variant.data)),
    );
    // The profile's colour count (a lossless WebP is tried only for few-colour images) is part
    // of its cost; the pixels it reads are decoded once by the pipeline anyway.
    const pixels = await sharp(input)
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const countColours = format === 'webp' && DEFAULT_PROFILE.webpLosslessWhenSmaller === true;
    // Alternating which goes first, so that neither always meets a warmer cache or a quieter core.
    const timeFast = async () => {
      const started = performance.now();
      if (countColours && hasFewColours(pixels.data, pixels.info.channels)) {
        throw new Error(`${name}: a Kodak photo counted as few-colour`);
      }
      await encodeOnce(format, settings, settings.quality, input);
      fastMs.push(performance.now() - started);
    };
    const timeBaseline = async () => {
      const started = performance.now();
      await encodeOnce(format, BASELINES[format], BASELINES[format].quality, input);
      baselineMs.push(performance.now() - started);
    };
    for (let round = 0; round < 2; round++) {
      if ((rows.length + round) % 2 === 0) {
        await timeFast();
        await timeBaseline();
      } else {
        await timeBaseline();
        await timeFast();
      }
    }
    rows.push({ image: name, bytes: variant.bytes, score, quality: variant.quality, ms: 0 });
  }
  const describe = `${format} q${settings.quality} e${settings.effort}${settings.chromaSubsampling ? ` ${settings.chromaSubsampling}` : ''}${settings.bitdepth ? ` ${settings.bitdepth}-bit` : ''}`;
  const summary = summarize(
    `${describe} (fixed, profile ${DEFAULT_PROFILE.version}: fast pass)`,
    rows,
  );
  return {
    ...summary,
    meanMs: mean(fastMs),
    finalEncodeMs: mean(fastMs),
    baselineEncodeMs: mean(baselineMs),
  };
}

function printTable(summaries: (Summary & Partial<ProfileSummary>)[]): void {
  const header = [
    'encoding',
    'mean KiB',
    'score mean / min',
    'mean q',
    'ms/image (search)',
    'ms/encode',
    'search, encode / baseline encode',
  ];
  const rows = summaries.map((s) => [
    s.label,
    round(s.meanBytes / 1024).toFixed(1),
    `${round(s.meanScore).toFixed(1)} / ${round(s.minScore).toFixed(1)}`,
    round(s.meanQuality).toFixed(1),
    s.finalEncodeMs === undefined ? '' : String(Math.round(s.meanMs)),
    String(Math.round(s.finalEncodeMs ?? s.meanMs)),
    s.baselineEncodeMs === undefined || s.finalEncodeMs === undefined
      ? ''
      : `${round(s.meanMs / s.baselineEncodeMs, 2)}, ${round(s.finalEncodeMs / s.baselineEncodeMs, 2)}`,
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

function worst(summary: Summary): string {
  return [...summary.rows]
    .sort((a, b) => a.score - b.score)
    .slice(0, 3)
    .map((r) => `${r.image} ${round(r.score)} (q${r.quality}, ${round(r.bytes / 1024)} KiB)`)
    .join(', ');
}

async function main(): Promise<void> {
  const config = loadQualityBenchConfig();
  const dir = config.kodakDir;
  if (!existsSync(dir)) throw new Error(`no Kodak images at ${dir}; set IMAGE_FIXTURES`);
  const only = config.only;
  const images = readdirSync(dir)
    .filter((name) => name.endsWith('.png'))
    .filter((name) => only === undefined || only.some((n) => name.startsWith(n)))
    .sort()
    .map((name): [string, Buffer] => [name.replace(/\.png$/, ''), readFileSync(join(dir, name))]);
  const explore = process.argv.includes('--explore');

  sharp.concurrency(config.threads);
  const started = performance.now();
  const loadBefore = loadavg()[0] as number;
  await processImage(images[0]?.[1] as Buffer, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS); // warm-up
  const results: Record<string, unknown> = {};
  const quality: Record<string, unknown> = {};
  // The default profile against the same baselines: quality.fast.<format>.
  const fast: Record<string, unknown> = {};
  quality.fast = fast;
  // The processor's variables, so the bench measures the profile it would run.
  for (const format of ['webp', 'avif'] as const) {
    const search = SEARCH[format];
    const settings = withTargetScore(
      search,
      config.targets[format] ?? (search.target?.score as number),
      {},
    );
    const target = settings.target;
    const describe = (s: EncoderSettings) =>
      `e${s.effort}${s.chromaSubsampling ? ` ${s.chromaSubsampling}` : ''}${s.bitdepth ? ` ${s.bitdepth}-bit` : ''}${s.smartSubsample ? ' sharp-yuv' : ''}, target ${s.target?.score ?? 'none'}`;
    const base = await baseline(format, BASELINES[format], images);
    const fastPass = await fastRun(format, images);
    const prof = await profileRun(
      format,
      settings,
      images,
      `${format} searched (${describe(settings)})`,
    );
    const explored: ProfileSummary[] = [];
    if (explore) {
      // The search aimed at the baseline's own minimum: the saving at an equal minimum score.
      const atMin = Math.ceil(base.minScore * 10) / 10;
      const s = withTargetScore(settings, atMin, {});
      explored.push(await profileRun(format, s, images, `${format} search (${describe(s)})`));
    }
    if (explore && format === 'avif') {
      for (const variant of [
        { bitdepth: settings.bitdepth === 10 ? (8 as const) : (10 as const) },
        { effort: settings.effort, chromaSubsampling: '4:4:4' as const },
        { effort: Math.max(0, settings.effort - 1), chromaSubsampling: settings.chromaSubsampling },
        { effort: settings.effort + 1, chromaSubsampling: settings.chromaSubsampling },
      ]) {
        const s = { ...settings, ...variant };
        explored.push(await profileRun(format, s, images, `${format} search (${describe(s)})`));
      }
    }
    console.log(`\n${format}: ${images.length} Kodak images at full size (768x512)`);
    printTable([base, fastPass, prof, ...explored]);
    console.log(`worst three, fast pass: ${worst(fastPass)}`);
    console.log(`worst three, profile:  ${worst(prof)}`);
    console.log(`worst three, baseline: ${worst(base)}`);
    fast[format] = {
      bytesRatio: round(fastPass.meanBytes / base.meanBytes, 3),
      minScore: round(fastPass.minScore, 2),
      // Encode time over the baseline's, both timed twice per image side by side.
      encodeMsRatio: round(fastPass.finalEncodeMs / fastPass.baselineEncodeMs, 3),
      meanScore: round(fastPass.meanScore, 2),
      meanBytes: Math.round(fastPass.meanBytes),
      encodeMsPerImage: Math.round(fastPass.finalEncodeMs),
      interleavedBaselineEncodeMs: Math.round(fastPass.baselineEncodeMs),
      baselineMinScore: round(base.minScore, 2),
      settings: fastPass.label,
      worst: [...fastPass.rows]
        .sort((a, b) => a.score - b.score)
        .slice(0, 3)
        .map((r) => ({
          image: r.image,
          bytes: r.bytes,
          score: round(r.score, 2),
          quality: r.quality,
        })),
    };
    quality[format] = {
      bytesRatio: round(prof.meanBytes / base.meanBytes, 3),
      minScore: round(prof.minScore, 2),
      meanScore: round(prof.meanScore, 2),
      meanBytes: Math.round(prof.meanBytes),
      msPerImage: Math.round(prof.meanMs),
      encodeMsPerImage: Math.round(prof.finalEncodeMs),
      // Both costs over the baseline's encode of each image timed beside them: load cancels out.
      interleavedBaselineEncodeMs: Math.round(prof.baselineEncodeMs),
      msPerImageVsBaselineEncode: round(prof.meanMs / prof.baselineEncodeMs, 2),
      encodeMsVsBaselineEncode: round(prof.finalEncodeMs / prof.baselineEncodeMs, 2),
      targetScore: target?.score ?? null,
      baselineMinScore: round(base.minScore, 2),
      baselineMeanScore: round(base.meanScore, 2),
      baselineMeanBytes: Math.round(base.meanBytes),
      baselineEncodeMsPerImage: Math.round(base.meanMs),
      baseline: base.label,
      worst: [...prof.rows]
        .sort((a, b) => a.score - b.score)
        .slice(0, 3)
        .map((r) => ({ ...r, score: round(r.score, 2), ms: Math.round(r.ms) })),
      ...(explored.length > 0 && {
        explored: explored.map((e) => ({
          label: e.label,
          bytesRatio: round(e.meanBytes / base.meanBytes, 3),
          meanBytes: Math.round(e.meanBytes),
          minScore: round(e.minScore, 2),
          msPerImage: Math.round(e.meanMs),
          msPerImageVsBaselineEncode: round(e.meanMs / e.baselineEncodeMs, 2),
          encodeMsVsBaselineEncode: round(e.finalEncodeMs / e.baselineEncodeMs, 2),
        })),
      }),
    };
  }
  results.quality = quality;
  results.images = images.length;
  results.machine = {
    node: process.version,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
    threads: sharp.concurrency(),
    // 1-minute load average at the start and the end: times are only comparable within a run.
    loadAverage: [round(loadBefore, 2), round(loadavg()[0] as number, 2)],
  };
  results.date = new Date().toISOString();
  results.wallSeconds = Math.round((performance.now() - started) / 1000);
  console.log(
    `\nms/image (search): decode + quality search + variant, 1 in flight; ms/encode: one encode at the chosen quality; both over the baseline's encode of the same images timed beside them. ${results.wallSeconds} s, load average ${(results.machine as { loadAverage: number[] }).loadAverage.join(' -> ')}`,
  );
  const out = config.outFile;
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
