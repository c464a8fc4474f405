import type { EncoderSettings, FormatTarget } from './variant-qualities.js';

/** SSIMULACRA2 70 is "high quality"; the target for the minimum over a set. */
export const DEFAULT_TARGET_SCORE = 70;

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
 * Encoder settings used when a quality target is set (QUALITY_TARGET), from the Kodak set (768x512, one libvips thread; every image
 * searched without a budget to the lowest quality reaching SSIMULACRA2 70, 8 images; the time
 * column was taken on a heavily shared 2-core machine, so only its ratios mean anything):
 *   WebP effort 4 52.3 KiB, effort 6 49.0 KiB (x1.8 time), effort 4 + sharp YUV 50.3 KiB,
 *   effort 6 + sharp YUV 48.9 KiB (x2.8 time): effort 6, no sharp YUV.
 *   AVIF effort 2 4:2:0 41.1 KiB, 4:4:4 40.6 KiB (x2.6 time): 4:2:0 keeps AVIF near 200 ms.
 * The AVIF figures in the README used a target of 71.5, not 70: the fixed q63 4:2:0 baseline's
 * worst Kodak image scores 71.1. Each `quality` is the fallback for images too
 * small to score; startQuality and slope are the set's median answer and score gain per quality
 * step, so most images converge in two to four encodes.
 */
export const SEARCH_WEBP: EncoderSettings = {
  quality: 79,
  effort: 6,
  target: {
    ...searchDefaults,
    score: DEFAULT_TARGET_SCORE,
    minQuality: 30,
    maxQuality: 98,
    startQuality: 77,
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
    score: 71.1,
    minQuality: 20,
    maxQuality: 95,
    startQuality: 59,
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
