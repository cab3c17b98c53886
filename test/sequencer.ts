// The order test files start in: the longest first. Two files run at a time; started last, a two-minute file
// (worker-crash) runs alone at the end while the other core idles. Vitest orders by the durations it cached
// on this machine, and a clean checkout (CI) has none, so the long ones are named here; the rest keep
// Vitest's own order after them.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The files that take longest, longest first (seconds in CI, two cores). */
export const LONGEST = [
  'test/scale-out.test.ts', // 140
  'test/worker-crash.test.ts', // 110-125
  'test/browser/console.test.ts', // 65
  'test/faults.test.ts', // 50
  'test/processes-apart.test.ts', // 35
  'test/metrics.test.ts', // 30
  'test/deadlines.test.ts', // 26
  'test/authz-matrix.test.ts', // 20
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = LONGEST.findIndex((name) => f.moduleId.endsWith(name));
      return i === -1 ? LONGEST.length : i;
    };
    // A stable sort: files not named keep Vitest's order.
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
