// R22: what the read model says about a branch's task in a campaign, for the API: its members with their grade and
// registration, the recount of the task's member counts, and the checks made BEFORE a `submit` is sent to the task
// (api/processes.ts PREPARE): every member graded, 优秀 within the cap, every member registered, the cadres too.
import type { Db } from '../db';
import { branchMembers, type BranchMember } from '../db/queries/campaign-members';
import { currentPost } from '../db/queries/cadres';
import type { CampaignsTable, ProcessRow } from '../db/schema';
import type { Principal } from '../domain/authz';
import { evaluationProblem } from '../domain/campaign-plan';
import { officeDay } from '../domain/office-day';
import { DomainError } from '../domain/errors';
import type { DecisionBody, DecisionCommand } from '../domain/processes';

/** The branch of a campaign process's task, and its campaign (one query). */
async function taskOf(db: Db, processId: string): Promise<{ orgId: string; campaign: Pick<CampaignsTable, 'id' | 'year' | 'excellent_cap'> }> {
  const row = await db
    .selectFrom('campaign_tasks as t')
    .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
    .select(['t.org_id', 'c.id', 'c.year', 'c.excellent_cap'])
    .where('t.process_id', '=', processId)
    .executeTakeFirst();
  if (!row) throw DomainError.notFound('campaign task not found');
  return { orgId: row.org_id, campaign: { id: row.id, year: row.year, excellent_cap: row.excellent_cap } };
}

const refuse = (message: string) => DomainError.rule('R22', message, [{ field: 'body.action', message, rule: 'R22' }]);

function checkEvaluation(members: BranchMember[], cap: number | null): void {
  const problem = evaluationProblem(members, cap);
  if (problem) throw refuse(problem);
}

/**
 * R22: the registration is handed in with every member decided (except those who turn 28 in the year: they age
 * out, R19), no deferral past its follow-up date at the follow-up step, and the branch's current cadres registered.
 */
async function checkRegistration(db: Db, step: string, members: BranchMember[], campaignId: string, orgId: string): Promise<void> {
  const undecided = members.filter((m) => m.decision === null && !m.turns28).length;
  if (undecided > 0) throw refuse(`R22: ${undecided} member${undecided === 1 ? ' has' : 's have'} no registration decision`);
  const today = officeDay();
  const stale = members.filter((m) => m.decision === 'deferred' && m.follow_up_on !== null && m.follow_up_on <= today).length;
  if (step === 'follow-up' && stale > 0) throw refuse(`R22: ${stale} deferred member${stale === 1 ? ' is' : 's are'} past the follow-up date: decide again`);
  const { unregistered } = await db
    .selectFrom('cadres')
    .leftJoin('campaign_cadres as cc', (j) => j.onRef('cc.cadre_id', '=', 'cadres.id').on('cc.campaign_id', '=', campaignId))
    .select((eb) => eb.fn.countAll<string>().as('unregistered'))
    .where('cadres.org_id', '=', orgId)
    .where(currentPost('cadres', today))
    .where('cc.cadre_id', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(unregistered) > 0) throw refuse(`R22: ${unregistered} current cadre${unregistered === '1' ? ' is' : 's are'} not registered (团干部注册)`);
}

/** PREPARE for `campaign` processes: the read-model checks of a `submit`, then the step the caller saw and their role. */
export async function prepareCampaignDecision(db: Db, row: ProcessRow, body: DecisionBody, p: Principal): Promise<Partial<DecisionCommand>> {
  const base = { step: row.step, actorRole: p.role };
  if (body.action !== 'submit') return base;
  const { orgId, campaign } = await taskOf(db, row.id);
  const members = await branchMembers(db, campaign, orgId);
  if (row.step === 'evaluation') checkEvaluation(members, campaign.excellent_cap);
  else if (row.step === 'registration' || row.step === 'follow-up') await checkRegistration(db, row.step, members, campaign.id, orgId);
  return base;
}
