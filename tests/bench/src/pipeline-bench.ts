/**
 * Times processImage over the Kodak suite ($IMAGE_FIXTURES/kodak, 24 PNGs 768x512) with the
 * default profile: both formats, then WebP only and AVIF only, each with 1 and 2 images in flight
 * and one libvips thread per image: `npm run bench:pipeline -w @zocket/bench` after a build.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  type ProcessedImage,
  processImage,
  type VariantFormat,
  type VariantProfile,
} from '@zocket/image-processor';
import { imageFixturesDir } from '@zocket/testkit';
import sharp from 'sharp';

interface RunResult {
  label: string;
  inFlight: number;
  images: number;
  wallMs: number;
  latencyMs: number[];
  inputBytes: number;
  outputBytes: Record<VariantFormat, number>;
  digest: string;
}

async function run(
  label: string,
  inputs: Buffer[],
  profile: VariantProfile,
  inFlight: number,
): Promise<RunResult> {
  const latencyMs: number[] = [];
  const results: ProcessedImage[] = new Array(inputs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const index = next++;
      const input = inputs[index] as Buffer;
      const started = performance.now();
      results[index] = await processImage(input, profile, DEFAULT_DECODE_LIMITS);
      latencyMs.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const wallMs = performance.now() - started;

  const outputBytes: Record<VariantFormat, number> = { webp: 0, avif: 0 };
  const hash = createHash('sha256');
  for (const result of results) {
    for (const variant of result.variants) {
      outputBytes[variant.format] += variant.bytes;
      hash.update(variant.data);
    }
  }
  const inputBytes = inputs.reduce((sum, input) => sum + input.length, 0);
  return {
    label,
    inFlight,
    images: inputs.length,
    wallMs,
    latencyMs,
    inputBytes,
    outputBytes,
    digest: hash.digest('hex'),
  };
}

function format(result: RunResult): string {
  const perImage = result.wallMs / result.images;
  const meanLatency = result.latencyMs.reduce((a, b) => a + b, 0) / result.latencyMs.length;
  const sorted = [...result.latencyMs].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? 0;
  const out = result.outputBytes.webp + result.outputBytes.avif;
  const kib = (bytes: number) => (bytes / result.images / 1024).toFixed(1);
  return [
    result.label.padEnd(11),
    String(result.inFlight).padStart(9),
    perImage.toFixed(0).padStart(12),
    meanLatency.toFixed(0).padStart(11),
    p95.toFixed(0).padStart(8),
    kib(result.inputBytes).padStart(10),
    kib(result.outputBytes.webp).padStart(10),
    kib(result.outputBytes.avif).padStart(10),
    `${((100 * out) / result.inputBytes).toFixed(1)}%`.padStart(9),
  ].join(' ');
}

async function main(): Promise<void> {
  const dir = join(imageFixturesDir(), 'kodak');
  if (!existsSync(dir)) throw new Error(`no Kodak images at ${dir}; set IMAGE_FIXTURES`);
  const inputs = readdirSync(dir)
    .filter((name) => name.endsWith('.png'))
    .sort()
    .map((name) => readFileSync(join(dir, name)));

  sharp.concurrency(1);
  const profiles: [string, VariantProfile][] = [
    ['webp+avif', DEFAULT_PROFILE],
    ['webp only', { ...DEFAULT_PROFILE, formats: ['webp'] }],
    ['avif only', { ...DEFAULT_PROFILE, formats: ['avif'] }],
  ];
  const { webp, avif } = DEFAULT_PROFILE;
  console.log(
    `${inputs.length} Kodak images; profile ${DEFAULT_PROFILE.version}: widths ${DEFAULT_PROFILE.widths.join('/')} ` +
      `(max ${DEFAULT_PROFILE.maxWidth}), webp q${webp.quality} e${webp.effort}, avif q${avif.quality} e${avif.effort}; ` +
      `sharp.concurrency(${sharp.concurrency()}), node ${process.version}`,
  );
  await processImage(inputs[0] as Buffer, DEFAULT_PROFILE, DEFAULT_DECODE_LIMITS); // warm-up

  console.log(
    'run         in flight  ms/image*  latency ms  p95 ms  in KiB/img  webp KiB  avif KiB  out/in',
  );
  const digests = new Map<string, Set<string>>();
  for (const [label, profile] of profiles) {
    for (const inFlight of [1, 2]) {
      const result = await run(label, inputs, profile, inFlight);
      console.log(format(result));
      digests.set(label, (digests.get(label) ?? new Set()).add(result.digest));
    }
  }
  console.log('* wall time / images: throughput cost per image with that many images in flight');
  for (const [label, set] of digests) {
    console.log(
      `${label}: output bytes ${set.size === 1 ? 'identical' : 'DIFFER'} between the 1- and 2-in-flight runs`,
    );
  }
}

await main();
