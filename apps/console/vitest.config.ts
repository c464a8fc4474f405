import { defineConfig } from 'vitest/config';

// `unit`: the console's pure logic, no service. Its browser tests run against the real system
// in tests/system (test/console.e2e.int.test.ts).
export default defineConfig({
  test: {
    projects: [{ extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'] } }],
  },
});
