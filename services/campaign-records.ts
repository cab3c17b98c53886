// R22: a branch's writes to its task in a campaign (its members' grades, their registrations) and an
// organization's registration of its cadres (团干部注册): the members and cadres read, the rules checked
// (domain/campaign-records.ts), the rows written with their event in one transaction (db/queries/campaign-records.ts).
import type { Db } from '../db';
import { branchMembers } from '../db/queries/campaign-members';
import { cadresInCampaign, recordOnTask, recountBranchNow, registerCadres, writeGrades, writeRegistrations } from '../db/queries/campaign-records';
import type { CampaignRow } from '../db/queries/campaigns';
import type { Grade, RegistrationDecision } from '../domain/campaign-plan';
import { cadreProblems, countBy, entryProblems, gradeProblems, refuseAll, REGISTRATION_DECISIONS } from '../domain/campaign-records';
import { officeDay } from '../domain/office-day';

/** Who writes to which branch's task, under which request key. */
interface TaskWrite {
  campaign: CampaignRow;
  org: { id: string };
  task: { process_id: string };
  actorId: string;
  /** The request's Idempotency-Key. */
  key: string | undefined;
}

/** R22: the branch records its members' grades at its evaluation step; answers the task's counts. */
export async function recordGrades(db: Db, w: TaskWrite & { grades: readonly { memberId: string; grade: Grade }[] }) {
  const { campaign, org, grades } = w;
  const byGrade = countBy(['excellent', 'qualified', 'basic', 'unqualified'], grades, (g) => g.grade);
  const recorded = await recordOnTask(
    db,
    { ...w, what: 'grades', payload: { grades: grades.length, byGrade }, steps: ['evaluation'], stepsText: 'the evaluation step' },
    async (tx) => {
      const ids = new Set((await branchMembers(tx, campaign, org.id)).map((m) => m.id));
      refuseAll(gradeProblems(grades, ids));
      await writeGrades(tx, { campaignId: campaign.id, orgId: org.id, actorId: w.actorId, grades });
    },
  );
  // A repeated request (same Idempotency-Key) wrote nothing: the counts as they stand.
  const counts = recorded?.counts ?? (await recountBranchNow(db, campaign.id, org.id));
  return { evaluated: counts.evaluated, total: counts.total };
}

const tally = (ms: { decision: string | null }[]) => ({ ...countBy(REGISTRATION_DECISIONS, ms, (m) => m.decision), total: ms.length });

/** R22/R19: the branch registers its members at its registration or follow-up step; answers the tally of decisions. */
export async function recordRegistrations(
  db: Db,
  w: TaskWrite & { entries: readonly { memberId: string; decision: RegistrationDecision; reason?: string | undefined; followUpOn?: string | undefined }[] },
) {
  const { campaign, org, entries } = w;
  const recorded = await recordOnTask(
    db,
    {
      ...w,
      what: 'registrations',
      payload: { entries: entries.length, byDecision: countBy(REGISTRATION_DECISIONS, entries, (e) => e.decision) },
      steps: ['registration', 'follow-up'],
      stepsText: 'the registration and follow-up steps',
    },
    async (tx, step) => {
      const members = new Map((await branchMembers(tx, campaign, org.id)).map((m) => [m.id, m]));
      const today = officeDay();
      refuseAll(entries.flatMap((e, i) => entryProblems(e, i, members.get(e.memberId), step, today)));
      await writeRegistrations(tx, { campaignId: campaign.id, orgId: org.id, actorId: w.actorId, entries });
      return tally(await branchMembers(tx, campaign, org.id));
    },
  );
  return recorded?.result ?? tally(await branchMembers(db, campaign, org.id));
}

/** R22 (团干部注册): the organization registers its current cadres; answers how many are registered of how many. */
export async function registerOrgCadres(db: Db, r: { campaign: CampaignRow; org: { id: string; path: string }; actorId: string; cadreIds: readonly string[] }) {
  const current = await cadresInCampaign(db, r.campaign.id, r.org.id);
  refuseAll(cadreProblems(r.cadreIds, new Set(current.map((c) => c.id))));
  const already = new Set(current.filter((c) => c.registered).map((c) => c.id));
  const fresh = [...new Set(r.cadreIds)].filter((id) => !already.has(id)).sort();
  if (fresh.length > 0) await registerCadres(db, { campaignId: r.campaign.id, org: r.org, actorId: r.actorId, cadreIds: fresh });
  return { registered: new Set([...already, ...fresh]).size, current: current.length };
}
