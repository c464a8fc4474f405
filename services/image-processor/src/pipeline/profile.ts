import type { ProcessorConfig } from '../config.js';
import { DEFAULT_PROFILE, type VariantProfile } from './image-pipeline.js';

/** The variant profile: defaults from the pipeline, overridden field by field from config. */
export function resolveProfile(images: ProcessorConfig['images']['profile']): VariantProfile {
  const { overrides } = images;
  return {
    version: images.version,
    widths: images.widths,
    maxWidth: images.maxWidth,
    formats: images.formats,
    webp: {
      quality: overrides.webp.quality ?? DEFAULT_PROFILE.webp.quality,
      effort: overrides.webp.effort ?? DEFAULT_PROFILE.webp.effort,
    },
    avif: {
      quality: overrides.avif.quality ?? DEFAULT_PROFILE.avif.quality,
      effort: overrides.avif.effort ?? DEFAULT_PROFILE.avif.effort,
    },
  };
}
