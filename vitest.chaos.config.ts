import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.chaos.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['db/testing/global-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 120_000,
    env: { NODE_ENV: 'test' },
  },
});
