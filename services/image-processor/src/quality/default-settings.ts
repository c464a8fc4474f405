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
 * Encoder settings used when a quality target is set (QUALITY_TARGET), from the 24 Kodak images
 * (768x512, one libvips thread), each searched exhaustively (bisection over every quality) to the
 * lowest quality reaching the target, bytes as a share of the fixed baseline's (WebP q79 effort 4,
 * AVIF q63 effort 2 4:2:0); times on a shared 2-core machine, so only their ratios mean anything:
 *   WebP effort 6, target 70: 0.848; with sharp YUV (smartSubsample) 0.842 for about 1.5x the
 *   encode time. The presets `photo` and `picture` cost 2 % more bytes, smartDeblock nothing
 *   for 2.7x the time (6 images). Effort 6 with sharp YUV.
 *   AVIF effort 2 4:2:0, target 71.1 (the q63 baseline's worst Kodak score, 71.08): 8-bit 0.891,
 *   10-bit 0.865 for about 1.2x the time; 10-bit effort 3 about 3 % fewer bytes than effort 2
 *   and 10-bit 4:4:4 about 1.5 % fewer (16 images), each for about 2x the encode time. Effort 2
 *   4:2:0 10-bit: the cheapest encode that gets most of the bytes (AVIF_EFFORT=3 trades time for
 *   the rest). AVIF quality moves libaom's quantizer in coarse steps (about one point of score
 *   per step here), so the chosen encodes land 0.7 points above the target on average.
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
