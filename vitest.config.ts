import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// .ci/run proves on every run that a failing test turns `npm test` red, with the files in .ci/fixtures; they are
// part of the suite only for that check.
const ciSelfCheck = process.env.VMESH_CI_SELF_CHECK === '1';

export default defineConfig({
  test: {
    include: ciSelfCheck ? ['.ci/fixtures/*.test.ts'] : ['**/*.test.ts'],
    exclude: [
      'node_modules/**',
      '**/*.chaos.test.ts',
      '.data/**',
      '.test-data/**',
      ...(ciSelfCheck ? [] : ['.ci/**']),
    ],
    globalSetup: ['db/testing/global-setup.ts'],
    pool: 'forks',
    // Most test files wait on servers, workers and timers more than they compute: on a 2-core machine vitest's
    // default (cores - 1) would run them one at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { NODE_ENV: 'test' },
  },
});
