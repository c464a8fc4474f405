import { defineConfig } from 'vitest/config';

// No service: these tests start plain Node processes only (the sections need `npm run bench`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
