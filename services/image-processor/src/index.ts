export { loadConfig, type ProcessorConfig } from './config.js';
export {
  DEFAULT_PROFILE,
  type ProcessedImage,
  processImage,
  type VariantProfile,
} from './pipeline/image-pipeline.js';
export { resolveProfile } from './pipeline/profile.js';
