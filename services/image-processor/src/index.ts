export { loadConfig, type ProcessorConfig } from './config.js';
export {
  DEFAULT_DECODE_LIMITS,
  DEFAULT_PROFILE,
  type ProcessedImage,
  processImage,
  type VariantFormat,
  type VariantProfile,
} from './pipeline/image-pipeline.js';
export { resolveProfile } from './pipeline/profile.js';
