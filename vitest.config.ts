import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Scale-out (two APIs and two workers, 1,000 check-ins) runs in CI's cluster lane, on the Temporal cluster.
    exclude: process.env.TUANWU_TEMPORAL === 'cluster' ? [] : ['test/scale-out.test.ts'],
    // The Temporal native bridge crashes under worker threads.
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
