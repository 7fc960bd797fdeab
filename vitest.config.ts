import { defineConfig } from 'vitest/config';

// Tests start real ZooKeeper and Dovecot servers (JVM start-up is seconds, not
// milliseconds), so timeouts are generous and files run two at a time to fit
// the 2-core machines CI runs on.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
