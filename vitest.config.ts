import { defineConfig } from 'vitest/config';
import LongestFirst from './test/sequencer';

export default defineConfig({
  test: {
    // The Temporal native bridge crashes under worker threads.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: true,
    maxWorkers: 2,
    // The longest files first, so that no two-minute file starts last (test/sequencer.ts).
    sequence: { sequencer: LongestFirst },
    projects: [
      {
        extends: true,
        test: {
          name: 'system',
          include: ['test/**/*.test.ts'],
          // Scale-out (two APIs and two workers, 1,000 check-ins) runs in CI's cluster lane, on the Temporal cluster.
          exclude: ['test/fast/**', ...(process.env.TUANWU_TEMPORAL === 'cluster' ? [] : ['test/scale-out.test.ts'])],
          globalSetup: ['test/global-setup.ts'],
        },
      },
      {
        // The fast layer: each file starts its own time-skipping test server and worker (test/fast/env.ts), with stub
        // activities; no PostgreSQL, no dev server, so the global setup is not run for these files alone.
        extends: true,
        test: {
          name: 'fast',
          include: ['test/fast/**/*.test.ts'],
          globalSetup: ['test/fast/global-setup.ts'],
        },
      },
    ],
  },
});
