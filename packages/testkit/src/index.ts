export {
  childProcessEnv,
  imageFixturesDir,
  inCi,
  localStateDir,
  testLogLevel,
  userCacheDir,
} from './env.js';
export {
  createTestDatabase,
  createTestTopics,
  type TestDatabase,
  type TestTopics,
  type TopicSpec,
  testKeyPrefix,
  uniqueName,
  waitFor,
} from './isolation.js';
export { type DedicatedKafka, startDedicatedKafka } from './kafka-broker.js';
export { pngClaiming, pngImage } from './png.js';
export { freePort } from './ports.js';
export {
  type PrivatePostgres,
  type PrivateS3,
  type PrivateServer,
  startPrivatePostgres,
  startPrivateS3,
} from './private-servers.js';
export { repoRoot } from './repo.js';
export {
  parseExports,
  servicesFromEnv,
  servicesToEnv,
  type TestServices,
  testS3Client,
  testServices,
} from './services.js';
export { createTcpProxy, type TcpProxy, viaProxy } from './tcp-proxy.js';
export { type KafkaRecord, type TopicTap, tapTopic } from './topic-tap.js';
