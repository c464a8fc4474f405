export { loadConfig, type ProcessorConfig } from './config.js';
export { resolveProfile } from './context.js';
export {
  DEFAULT_PROFILE,
  type ProcessedImage,
  processImage,
  type VariantProfile,
} from './pipeline/image-pipeline.js';
