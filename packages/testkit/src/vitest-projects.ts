import { defineConfig } from 'vitest/config';

/**
 * The vitest config of every workspace: a `unit` project (`*.test.ts`, no service, no global
 * setup) and an `integration` project (`*.int.test.ts`, whose global setup resolves the real
 * services and may run infra/local/up for them). `npm test` runs both; `npm run test:unit` only
 * the first.
 */
export function serviceTestConfig(options: {
  /** vitest's defaults when unset. */
  testTimeout?: number;
  hookTimeout?: number;
  /** Workspaces with integration tests only (the system tests) leave the unit project out. */
  unit?: boolean;
  /** Workspaces with unit tests only (contracts, service-kit, telemetry) leave this one out. */
  integration?: boolean;
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
  const projects = [
    ...(options.unit === false ? [] : [unit]),
    ...(options.integration === false ? [] : [integration]),
  ];
  return defineConfig({
    test: {
      // Both projects extend these (`extends: true`).
      ...(options.testTimeout === undefined ? {} : { testTimeout: options.testTimeout }),
      ...(options.hookTimeout === undefined ? {} : { hookTimeout: options.hookTimeout }),
      projects,
    },
  });
}
