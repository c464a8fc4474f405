import { defineConfig } from 'vitest/config';

// `unit`: the storefront's pure logic, no service. Its browser test runs against the real system
// in tests/system (test/storefront.e2e.int.test.ts).
export default defineConfig({
  test: {
    projects: [{ extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'] } }],
  },
});
