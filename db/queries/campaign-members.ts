// R22: a branch's members in a campaign, with the grade and registration the branch recorded for each: read by the
// API (the task's page, the checks before a hand-in) and by the activity that decides the hand-in.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { Db, Tx } from '../index';
import { IN_CAMPAIGN, type Grade, type RegistrationDecision } from '../../domain/campaign-plan';
import { AGE_OUT_AT } from '../../domain/numbers';

/** R19/R22 in SQL, as domain/campaign-progress.ts `turns28In`: the birth year (ID number characters 7-10) + 28 is the campaign's. */
export function turns28Sql(year: number): RawBuilder<SqlBool> {
  return sql<SqlBool>`(substring(members.id_number, 7, 4)::int + ${AGE_OUT_AT} = ${year})`;
}

export interface BranchMember {
  id: string;
  name: string;
  grade: Grade | null;
  decision: RegistrationDecision | null;
  reason: string | null;
  follow_up_on: string | null;
  turns28: boolean;
}

/** The branch's members in the campaign, with what the branch recorded for each (one query). */
export function branchMembers(db: Db | Tx, campaign: { id: string; year: number }, orgId: string): Promise<BranchMember[]> {
  return db
    .selectFrom('members')
    .leftJoin('campaign_grades as g', (j) => j.onRef('g.member_id', '=', 'members.id').on('g.campaign_id', '=', campaign.id))
    .leftJoin('campaign_registrations as r', (j) => j.onRef('r.member_id', '=', 'members.id').on('r.campaign_id', '=', campaign.id))
    .select(['members.id', 'members.name', 'g.grade', 'r.decision', 'r.reason', 'r.follow_up_on'])
    .select(turns28Sql(campaign.year).as('turns28'))
    .where('members.branch_id', '=', orgId)
    .where('members.status', 'in', IN_CAMPAIGN)
    .where('members.deleted_at', 'is', null)
    .orderBy('members.name')
    .orderBy('members.id')
    .execute()
    .then((rows) => rows.map((r) => ({ ...r, turns28: r.turns28 === true })));
}
