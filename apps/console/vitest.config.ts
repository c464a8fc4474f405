import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['@zocket/testkit/global-setup'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
  },
});
