// CI's closing line: "N passed, N failed", where an unhandled error, a file that failed to load and a
// failing hook count as failures too, so the line always agrees with the exit code (`.ci/run`).
import { writeFileSync } from 'node:fs';
import type { Reporter, TestModule } from 'vitest/node';
import type { SerializedError } from '@vitest/utils';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: string): void {
    let passed = 0;
    let failed = 0;
    const failures: string[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') {
          failed++;
          failures.push(`${m.moduleId.split('/').at(-1)}: ${t.fullName}`);
        }
      }
      // A file that failed to load, or a failing beforeAll/afterAll, without a failed test to show for it.
      for (const e of m.errors()) {
        failed++;
        failures.push(`${m.moduleId.split('/').at(-1)}: ${e.message}`);
      }
    }
    for (const e of unhandledErrors) failures.push(`unhandled error: ${e.message}`);
    failed += unhandledErrors.length;
    if (reason === 'interrupted' && failed === 0) failed = 1;
    const file = process.env.TUANWU_TEST_SUMMARY ?? 'test-summary.json';
    writeFileSync(file, JSON.stringify({ passed, failed, unhandledErrors: unhandledErrors.length, reason, failures }, null, 2));
  }
}
