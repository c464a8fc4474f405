export { envSchema as processorEnvSchema, loadConfig, type ProcessorConfig } from './config.js';
export {
  DEFAULT_PROFILE,
  type ProcessedImage,
  processImage,
  type VariantProfile,
} from './image-pipeline.js';
export { resolveProfile } from './processor-context.js';
