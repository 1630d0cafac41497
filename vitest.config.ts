import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['switchboard-source'] },
  ssr: { resolve: { conditions: ['switchboard-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // Multi-node failures print what the node processes warned of meanwhile.
    setupFiles: ['test/support/node-logs-on-failure.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Multi-node and e2e suites start processes and bind ports; two cores do not
    // gain from running many files at once, and timing-sensitive tests suffer.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
