import { join } from 'node:path';
import { repoRoot } from './repo.js';

/*
 * The variables tests and benchmarks read from their own environment, read here only: everything
 * else gets these values passed in.
 */

/** The shared image corpus: `IMAGE_FIXTURES`, else `<repo>/../shared/fixtures/images`. */
export function imageFixturesDir(): string {
  return process.env.IMAGE_FIXTURES || join(repoRoot(), '..', 'shared', 'fixtures', 'images');
}

/** The log level of services a test starts: `TEST_LOG_LEVEL`, else `silent`. */
export function testLogLevel(): string {
  return process.env.TEST_LOG_LEVEL || 'silent';
}

/** The environment of a child process a test starts: the test's PATH plus `env`, nothing else. */
export function childProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, ...env };
}
