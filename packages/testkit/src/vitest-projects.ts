import { defineConfig } from 'vitest/config';

/**
 * The vitest config every workspace with service tests uses: a `unit` project (`*.test.ts`, no
 * service, no global setup) and an `integration` project (`*.int.test.ts`, whose global setup
 * resolves the real services and may run infra/local/up for them). `npm test` runs both;
 * `npm run test:unit` only the first.
 */
export function serviceTestConfig(options: {
  testTimeout: number;
  hookTimeout: number;
  /** Workspaces with integration tests only (the system tests) leave the unit project out. */
  unit?: boolean;
  globalSetup?: string;
}) {
  const unit = {
    extends: true as const,
    test: {
      name: 'unit',
      include: ['test/**/*.test.ts'],
      exclude: ['test/**/*.int.test.ts'],
    },
  };
  const integration = {
    extends: true as const,
    test: {
      name: 'integration',
      include: ['test/**/*.int.test.ts'],
      globalSetup: [options.globalSetup ?? '@zocket/testkit/global-setup'],
    },
  };
  return defineConfig({
    test: {
      // Both projects extend these (`extends: true`).
      testTimeout: options.testTimeout,
      hookTimeout: options.hookTimeout,
      projects: options.unit === false ? [integration] : [unit, integration],
    },
  });
}
