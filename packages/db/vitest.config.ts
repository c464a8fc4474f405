import { defineConfig } from 'vitest/config';

// `unit`: no service, no global setup. `integration`: real services.
export default defineConfig({
  test: {
    // Both projects extend these (`extends: true`).
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          // Only integration tests resolve the services (and may run infra/local/up for them).
          globalSetup: ['@zocket/testkit/global-setup'],
        },
      },
    ],
  },
});
