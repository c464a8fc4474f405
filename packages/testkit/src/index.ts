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
export { parseExports, servicesFromEnv, type TestServices, testServices } from './services.js';
