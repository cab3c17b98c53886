// R19 age-out (超龄离团), run by a Schedule (worker/schedules.ts): the branch is told `noticeMs` before a member's
// 28th birthday, and the member leaves the league by age on it unless the branch recorded an exception.
// Members are taken a page at a time; a long sweep continues as new, carrying its instant, its place and its counts.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AgeOutActivities } from '../activities/age-out';
import { ACTIVITY_OPTIONS } from './options';

const { findAgingMembers, noticeAgeOut, ageOutMembers } = proxyActivities<AgeOutActivities>(ACTIVITY_OPTIONS);

export interface AgeOutResult {
  noticed: number;
  agedOut: number;
}

export interface AgeOutInput {
  /** How long before the 28th birthday the branch is told (config ageOut.noticeMs). */
  noticeMs: number;
  /** Only the members of this subtree (the whole province when absent). */
  orgPath?: string;
  /** The instant the sweep runs as of (a catch-up run); now when absent. */
  asOf?: string;
  /** Set when a sweep continues as new: the same instant, the next member, the counts so far. */
  resume?: { asOf: string; after: string; totals: AgeOutResult };
}

export async function ageOutSweep(input: AgeOutInput): Promise<AgeOutResult> {
  const { noticeMs, orgPath, resume } = input;
  // Date.now() in a workflow is the workflow task's time: deterministic on replay.
  const asOf = resume?.asOf ?? input.asOf ?? new Date(Date.now()).toISOString();
  const totals = { ...(resume?.totals ?? { noticed: 0, agedOut: 0 }) };
  const scope = orgPath ? { orgPath } : {};
  let after: string | null = resume?.after ?? null;
  for (;;) {
    const page = await findAgingMembers({ asOf, noticeMs, after, ...scope });
    if (page.notice.length > 0) totals.noticed += (await noticeAgeOut({ members: page.notice })).noticed;
    if (page.ageOut.length > 0) totals.agedOut += (await ageOutMembers({ members: page.ageOut, asOf })).agedOut;
    if (page.next === null) return totals;
    after = page.next;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof ageOutSweep>({ noticeMs, ...scope, resume: { asOf, after, totals } });
  }
}
