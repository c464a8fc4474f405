import type { EncoderSettings, FormatTarget } from './variant-qualities.js';

/** SSIMULACRA2 70 is "high quality"; the target for the minimum over a set. */
export const DEFAULT_TARGET_SCORE = 70;

/**
 * The AVIF search's own target, which the quality bench aims at unless QUALITY_TARGET_AVIF or
 * QUALITY_TARGET is set (the processor always takes its targets from those): the worst Kodak score
 * of the AVIF baseline, imgproxy's default q63 4:2:0 effort 1: 70.646 with two libvips threads and
 * 70.55 with one (AVIF bytes depend on the thread count), so that no image scores below the
 * baseline's minimum with either.
 */
export const AVIF_TARGET_SCORE = 70.65;

/*
 * The search runs to the lowest passing quality (tolerance 0): stopping at the first probe within
 * one point of the target left WebP 0.8 points above it on average, about 2 % of its bytes.
 */
const searchDefaults = {
  maxProbes: 6,
  tolerance: 0,
  searchMaxWidth: 1280,
} satisfies Partial<FormatTarget>;

/*
 * Encoder settings used when a quality target is set (QUALITY_TARGET), from the 24 Kodak images
 * (768x512), each searched to the lowest quality reaching the target, bytes as a share of the
 * fixed baseline's: imgproxy's defaults, WebP q79 effort 4 and AVIF q63 4:2:0 at
 * IMGPROXY_AVIF_SPEED=8, which imgproxy passes to libvips as effort 9 - 8 = 1 (that encode scores
 * 74.1 mean / 70.6 min here, the issue's figures for imgproxy; effort 2 would score 74.6 / 71.05).
 * Times on a shared 2-core machine, so only their ratios mean anything:
 *   WebP effort 6, target 70: 0.848; with sharp YUV (smartSubsample) 0.842 for about 1.5x the
 *   encode time. The presets `photo` and `picture` cost 2 % more bytes, smartDeblock nothing
 *   for 2.7x the time (6 images). Effort 6 with sharp YUV.
 *   AVIF at target 70.65 (the baseline's worst Kodak score), 4:2:0 10-bit: effort 2 0.848,
 *   effort 1 0.864 (0.6-0.7x effort 2's encode time), effort 3 0.826 (1.4-1.8x); effort 0
 *   encodes 5x faster than effort 2 and is about 9 % larger. 8-bit effort 2: 0.876 for about 0.7x
 *   the time. 4:4:4 10-bit effort 2: 0.838, for about 2x the encode time with one libvips thread.
 *   libaom's `tune` is left at `auto`, which is `iq` for these encodes: `ssim` costs about 18 %
 *   more bytes at the same score (6 images). Effort 2 4:2:0 10-bit is the cheapest encode that
 *   saves 15 % (AVIF_EFFORT=3 trades time for more). AVIF quality moves libaom's quantizer in
 *   coarse steps (about one point of score per step here), so the chosen encodes land above the
 *   target.
 * Each `quality` is the fallback for images too small to score; startQuality and slope are the
 * set's median answer and score gain per quality step, so most images converge in three or four
 * encodes.
 */
export const SEARCH_WEBP: EncoderSettings = {
  quality: 79,
  effort: 6,
  smartSubsample: true,
  target: {
    ...searchDefaults,
    score: DEFAULT_TARGET_SCORE,
    minQuality: 30,
    maxQuality: 98,
    startQuality: 76,
    slope: 0.6,
  },
};

export const SEARCH_AVIF: EncoderSettings = {
  quality: 63,
  effort: 2,
  chromaSubsampling: '4:2:0',
  bitdepth: 10,
  target: {
    ...searchDefaults,
    score: AVIF_TARGET_SCORE,
    minQuality: 20,
    maxQuality: 95,
    startQuality: 58,
    slope: 0.7,
  },
};

/**
 * A format's settings with a search target of `score`: the search's encoder settings and bounds,
 * then the configured effort (and fallback quality) on top.
 */
export function withTargetScore(
  search: EncoderSettings,
  score: number,
  overrides: { quality?: number | undefined; effort?: number | undefined },
): EncoderSettings {
  const target = search.target as FormatTarget;
  return {
    ...search,
    quality: overrides.quality ?? search.quality,
    effort: overrides.effort ?? search.effort,
    target: { ...target, score },
  };
}
