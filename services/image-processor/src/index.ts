export { envSchema as processorEnvSchema, loadConfig, type ProcessorConfig } from './config.js';
export {
  type AspectCrop,
  type FocalPoint,
  focalCropBox,
} from './pipeline/aspect-crops.js';
export { FEW_COLOURS, hasFewColours } from './pipeline/few-colours.js';
export {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  PROFILE_V1,
  type ProcessedImage,
  processImage,
  rgbPixels,
  type VariantFormat,
  type VariantProfile,
} from './pipeline/image-pipeline.js';
export { resolveProfile } from './pipeline/profile.js';
export {
  DEFAULT_TARGET_SCORE,
  SEARCH_AVIF,
  SEARCH_WEBP,
  withTargetScore,
} from './quality/default-settings.js';
export { type RgbImage, Ssimulacra2Reference } from './quality/ssimulacra2.js';
export type { EncoderSettings } from './quality/variant-qualities.js';
