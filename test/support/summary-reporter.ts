import type { Reporter, TestModule, TestSuite } from 'vitest/node';

/** Prints the plain closing line CI reads: `N passed, N failed, N skipped`. */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A suite whose beforeAll or afterAll threw leaves its tests skipped, not failed: it is a failure all the same
      // (seen: a control plane that did not start reported "0 failed"). So is a file that failed to load.
      for (const suite of module.children.allSuites()) {
        if (suite.state() === 'failed' && !hasFailedTest(suite)) failed++;
      }
      if (module.state() === 'failed' && ![...module.children.allTests()].some((t) => t.result().state === 'failed')) {
        if (![...module.children.allSuites()].some((suite) => suite.state() === 'failed')) failed++;
      }
    }
    process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

function hasFailedTest(suite: TestSuite): boolean {
  return [...suite.children.allTests()].some((test) => test.result().state === 'failed');
}
