import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, fast, always runs) and `integration` (real Docker, SSH, Ansible,
// kube-apiserver). Integration suites decide themselves whether their infrastructure is available:
// under CI=true a missing piece fails loudly, elsewhere the suite is skipped with a one-line reason.
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          // The property and differential tests run thousands of documents: seconds on a quiet machine, more on a
          // busy shared one; a timeout is not what they test.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'cli',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 600_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
