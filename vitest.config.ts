import { defineConfig } from 'vitest/config';

// One run, two projects: unit tests sit beside the code (*.test.ts); integration tests
// (*.int.test.ts, and everything under test/) need the local stack, which globalSetup brings up.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'libs/*/src/**/*.test.ts',
            'services/*/src/**/*.test.ts',
            'infra/src/**/*.test.ts',
            'test/soak/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'libs/*/src/**/*.int.test.ts',
            'services/*/src/**/*.int.test.ts',
            'infra/src/**/*.int.test.ts',
            'test/**/*.int.test.ts',
          ],
          exclude: ['**/node_modules/**'],
          globalSetup: ['./infra/src/test-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
