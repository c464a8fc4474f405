export {
  type Allowlist,
  isAddressAllowed,
  isAllowlistedAddress,
  isAllowlistedHostname,
  isPublicAddress,
  normaliseHostname,
  parseAllowlist,
  stripBrackets,
} from './address-allowlist.js';
export { CACHE_CLIENT_OPTIONS, createCacheRedis } from './cache-redis.js';
export {
  envBool,
  envCsv,
  envInt,
  loadConfigOrExit,
  oneLine,
  parseEnv,
  s3Settings,
  sharedEnvShape,
} from './env-schema.js';
export { checkDependency, HEALTH_CHECK_TIMEOUT_MS } from './health-check.js';
export { createKafka, PRODUCER_OPTIONS } from './kafka.js';
export { KafkaProbe } from './kafka-probe.js';
export { MENDED_KAFKAJS_VERSION, mendKafkaRequestQueue } from './kafka-request-queue.js';
export { createLogger, type Logger } from './logger.js';
export { type Runnable, runUntilSignal } from './run-until-signal.js';
export { createS3Client, type S3Settings } from './s3.js';
