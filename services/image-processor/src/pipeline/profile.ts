import type { ProcessorConfig } from '../config.js';
import { SEARCH_AVIF, SEARCH_WEBP, withTargetScore } from '../quality/default-settings.js';
import { DEFAULT_PROFILE, FIXED_PROFILES, type VariantProfile } from './image-pipeline.js';

/**
 * The variant profile: the fixed profile its version names (`v1`, `v2`; any other version starts
 * from the default), overridden field by field from config. A format with a quality target has
 * its quality searched per image (bounded by a number of encodes); a format without one uses its
 * fixed settings as they are.
 */
export function resolveProfile(images: ProcessorConfig['images']['profile']): VariantProfile {
  const { overrides, qualityTargets } = images;
  const base = FIXED_PROFILES[images.version] ?? DEFAULT_PROFILE;
  return {
    version: images.version,
    widths: images.widths,
    maxWidth: images.maxWidth,
    formats: images.formats,
    webp:
      qualityTargets.webp === undefined
        ? {
            ...base.webp,
            quality: overrides.webp.quality ?? base.webp.quality,
            effort: overrides.webp.effort ?? base.webp.effort,
          }
        : withTargetScore(SEARCH_WEBP, qualityTargets.webp, overrides.webp),
    avif:
      qualityTargets.avif === undefined
        ? {
            ...base.avif,
            quality: overrides.avif.quality ?? base.avif.quality,
            effort: overrides.avif.effort ?? base.avif.effort,
          }
        : withTargetScore(SEARCH_AVIF, qualityTargets.avif, overrides.avif),
    ...(base.webpLosslessWhenSmaller === undefined
      ? {}
      : { webpLosslessWhenSmaller: base.webpLosslessWhenSmaller }),
  };
}
