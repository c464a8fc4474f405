import { defineConfig } from 'vitest/config';

// `unit` only: this package has no integration tests.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
        },
      },
    ],
  },
});
