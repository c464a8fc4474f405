import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // kubernetes-validate may build its virtualenv on the first run (pip install, ~15 s).
    testTimeout: 180_000,
  },
});
