import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Starts dynalite and s3rver once on free ports and exports their endpoints via env.
    globalSetup: ['test/support/globalSetup.ts'],
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is cores − 1: one worker on a 2-core machine, though most files wait on
    // the emulators or the model in turn. Two workers ran the suite in 243 s against 335 s here.
    maxWorkers: Math.max(2, availableParallelism() - 1),
  },
});
