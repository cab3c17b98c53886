// R25: the daily invariant check, run by a Schedule (worker/schedules.ts) over the whole read model: each invariant
// of domain/invariants.ts is read a keyset page at a time (activities/invariants.ts), every violation told to its
// province once as a data problem; then the gauge is set. A long check continues as new, carrying its place.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { InvariantActivities } from '../activities/invariants';
import { INVARIANTS, NO_VIOLATIONS, type InvariantCounts } from '../domain/invariants';
import { ACTIVITY_OPTIONS } from './options';

// A page reads whole tables (a million members in a few seconds): more time than the processes' short writes.
const { checkInvariantPage, setInvariantGauge } = proxyActivities<InvariantActivities>({ ...ACTIVITY_OPTIONS, startToCloseTimeout: '2 minutes' });

export interface InvariantCheckResult {
  /** Violations found, per invariant (the gauge's values). */
  violations: InvariantCounts;
  /** Told for the first time (a new data problem). */
  reported: number;
  /** Problems no longer found, resolved. */
  resolved: number;
}

export interface InvariantCheckInput {
  /** Only this province (its path, "gd/"); the whole read model when absent. */
  orgPath?: string;
  /** Violations per page (activities/invariants.ts INVARIANT_PAGE when absent). */
  pageSize?: number;
  /** Set when a check continues as new: the invariant (its index), the last key read, the totals so far. */
  resume?: { invariant: number; after: string | null; totals: InvariantCheckResult };
}

export async function invariantCheck(input: InvariantCheckInput = {}): Promise<InvariantCheckResult> {
  const { orgPath, pageSize, resume } = input;
  const scope = { ...(orgPath ? { orgPath } : {}), ...(pageSize ? { limit: pageSize } : {}) };
  const totals: InvariantCheckResult = resume
    ? { ...resume.totals, violations: { ...resume.totals.violations } }
    : { violations: { ...NO_VIOLATIONS }, reported: 0, resolved: 0 };
  for (let i = resume?.invariant ?? 0; i < INVARIANTS.length; i++) {
    const invariant = INVARIANTS[i]!;
    let after: string | null = resume && i === resume.invariant ? resume.after : null;
    for (;;) {
      const page = await checkInvariantPage({ invariant, after, ...scope });
      totals.violations[invariant] += page.found;
      totals.reported += page.reported;
      totals.resolved += page.resolved;
      if (page.next === null) break;
      after = page.next;
      if (workflowInfo().continueAsNewSuggested)
        await continueAsNew<typeof invariantCheck>({
          ...(orgPath ? { orgPath } : {}),
          ...(pageSize ? { pageSize } : {}),
          resume: { invariant: i, after, totals },
        });
    }
  }
  await setInvariantGauge(totals.violations);
  return totals;
}
