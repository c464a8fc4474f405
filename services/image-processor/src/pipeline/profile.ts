import type { ProcessorConfig } from '../config.js';
import { SEARCH_AVIF, SEARCH_WEBP, withTargetScore } from '../quality/default-settings.js';
import { DEFAULT_PROFILE, type VariantProfile } from './image-pipeline.js';

/**
 * The variant profile: defaults from the pipeline, overridden field by field from config. With a
 * quality target, each format's quality is searched per image (bounded by a number of encodes);
 * without one, the fixed qualities are used as they are.
 */
export function resolveProfile(images: ProcessorConfig['images']['profile']): VariantProfile {
  const { overrides, qualityTarget } = images;
  return {
    version: images.version,
    widths: images.widths,
    maxWidth: images.maxWidth,
    formats: images.formats,
    webp:
      qualityTarget === undefined
        ? {
            quality: overrides.webp.quality ?? DEFAULT_PROFILE.webp.quality,
            effort: overrides.webp.effort ?? DEFAULT_PROFILE.webp.effort,
          }
        : withTargetScore(SEARCH_WEBP, qualityTarget, overrides.webp),
    avif:
      qualityTarget === undefined
        ? {
            quality: overrides.avif.quality ?? DEFAULT_PROFILE.avif.quality,
            effort: overrides.avif.effort ?? DEFAULT_PROFILE.avif.effort,
          }
        : withTargetScore(SEARCH_AVIF, qualityTarget, overrides.avif),
  };
}
