// The dues check (R18), run by a Schedule: remind the branch at 5 unpaid months, open a removal case at 6.
// Members are taken a page at a time; a long check continues as new, carrying its place and its counts.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DuesActivities } from '../activities/dues';
import { ACTIVITY_OPTIONS } from './options';

const { findUnpaidStreaks, remindUnpaid, openRemovalCases } = proxyActivities<DuesActivities>(ACTIVITY_OPTIONS);

export interface DuesCheckResult {
  reminded: number;
  opened: number;
  alreadyOpen: number;
}

export interface DuesCheckInput {
  /** Only the members of this subtree (the whole province when absent). */
  orgPath?: string;
  /** Set when a check continues as new: the same instant, the next member, the counts so far. */
  resume?: { asOf: string; after: string; totals: DuesCheckResult };
}

export async function duesCheck(input: DuesCheckInput = {}): Promise<DuesCheckResult> {
  const { orgPath, resume } = input;
  const asOf = resume?.asOf ?? new Date(Date.now()).toISOString();
  const totals = { ...(resume?.totals ?? { reminded: 0, opened: 0, alreadyOpen: 0 }) };
  let after: string | null = resume?.after ?? null;
  for (;;) {
    const page = await findUnpaidStreaks({ asOf, after, ...(orgPath ? { orgPath } : {}) });
    if (page.remind.length > 0) totals.reminded += (await remindUnpaid({ members: page.remind, month: page.month })).reminded;
    if (page.remove.length > 0) {
      const r = await openRemovalCases({ members: page.remove });
      totals.opened += r.opened;
      totals.alreadyOpen += r.alreadyOpen;
    }
    if (page.next === null) return totals;
    after = page.next;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof duesCheck>({ ...(orgPath ? { orgPath } : {}), resume: { asOf, after, totals } });
  }
}
