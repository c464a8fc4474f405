import type { ProcessorConfig } from '../config.js';
import { SEARCH_AVIF, SEARCH_WEBP, withTargetScore } from '../quality/default-settings.js';
import { DEFAULT_PROFILE, type VariantProfile } from './image-pipeline.js';

/**
 * The variant profile: defaults from the pipeline, overridden field by field from config. A format
 * with a quality target has its quality searched per image (bounded by a number of encodes); a
 * format without one uses its fixed quality as it is.
 */
export function resolveProfile(images: ProcessorConfig['images']['profile']): VariantProfile {
  const { overrides, qualityTargets } = images;
  return {
    version: images.version,
    widths: images.widths,
    maxWidth: images.maxWidth,
    formats: images.formats,
    webp:
      qualityTargets.webp === undefined
        ? {
            quality: overrides.webp.quality ?? DEFAULT_PROFILE.webp.quality,
            effort: overrides.webp.effort ?? DEFAULT_PROFILE.webp.effort,
          }
        : withTargetScore(SEARCH_WEBP, qualityTargets.webp, overrides.webp),
    avif:
      qualityTargets.avif === undefined
        ? {
            quality: overrides.avif.quality ?? DEFAULT_PROFILE.avif.quality,
            effort: overrides.avif.effort ?? DEFAULT_PROFILE.avif.effort,
          }
        : withTargetScore(SEARCH_AVIF, qualityTargets.avif, overrides.avif),
  };
}
