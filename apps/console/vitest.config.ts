import { defineConfig } from 'vitest/config';

// Unit tests of the console's pure logic; the browser tests run against the real system in
// tests/system (console.e2e.int.test.ts).
export default defineConfig({
  test: { include: ['test/**/*.test.ts'] },
});
