import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['@zocket/testkit/global-setup'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
