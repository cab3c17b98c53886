// R22/R25: the campaign's SQL shared by the API, the activities and the member-state writer: a branch's member
// counts recounted in the writer's transaction, the deferrals of a member who left settled, and the block a refusal
// of registration (不予注册) puts on a re-check-in until the deciding committee consents.
import { sql, type Selectable } from 'kysely';
import type { Db, Tx } from '../index';
import type { CampaignsTable, ProcessRow } from '../schema';

/**
 * Recounts the task's members (total, graded, 准予注册) in the transaction that changed them, so the progress query
 * sums the read model and never the members table.
 */
export async function recountBranch(tx: Tx, campaignId: string, orgId: string): Promise<{ total: number; evaluated: number; registered: number }> {
  const { rows } = await sql<{ total: number; evaluated: number; registered: number }>`
    update campaign_tasks t
    set members_total = c.total, members_evaluated = c.evaluated, members_registered = c.registered
    from (
      select count(*)::int as total, count(g.member_id)::int as evaluated, (count(*) filter (where r.decision = 'registered'))::int as registered
      from members m
      left join campaign_grades g on g.campaign_id = ${campaignId} and g.member_id = m.id
      left join campaign_registrations r on r.campaign_id = ${campaignId} and r.member_id = m.id
      where m.branch_id = ${orgId} and m.status in ('active', 'probation') and m.deleted_at is null
    ) c
    where t.campaign_id = ${campaignId} and t.org_id = ${orgId}
    returning c.total, c.evaluated, c.registered`.execute(tx);
  return rows[0] ?? { total: 0, evaluated: 0, registered: 0 };
}

/**
 * R22/R25: a member left (deleted, expelled, removed, aged out, transferred out): inside the caller's transaction,
 * each open deferral (暂缓注册) of theirs in an open campaign is settled, with a `campaign.registration-settled`
 * event on the branch's task, and the open tasks that counted them are recounted. The task's follow-up no longer
 * waits for them (activities/campaigns/ `settleRegistration`). Call it after the member's status is written, so
 * the recount no longer counts them. Idempotent: a deferral is settled once.
 */
export async function settleRegistrationsOfLeftMember(tx: Tx, memberId: string, now: Date, reason: string): Promise<void> {
  const open = await tx
    .selectFrom('campaign_registrations as r')
    .innerJoin('campaigns as c', 'c.id', 'r.campaign_id')
    .innerJoin('campaign_tasks as t', (j) => j.onRef('t.campaign_id', '=', 'r.campaign_id').onRef('t.org_id', '=', 'r.org_id'))
    .leftJoin('campaign_settlements as s', (j) => j.onRef('s.campaign_id', '=', 'r.campaign_id').onRef('s.member_id', '=', 'r.member_id'))
    .select(['r.campaign_id', 'r.org_id', 't.process_id'])
    .where('r.member_id', '=', memberId)
    .where('r.decision', '=', 'deferred')
    .where('c.status', '=', 'open')
    .where('s.member_id', 'is', null)
    .execute();
  for (const r of open) {
    const settled = await tx
      .insertInto('campaign_settlements')
      .values({ campaign_id: r.campaign_id, member_id: memberId, org_id: r.org_id, reason, settled_at: now })
      .onConflict((oc) => oc.columns(['campaign_id', 'member_id']).doNothing())
      .returning('member_id')
      .executeTakeFirst();
    if (!settled) continue;
    await tx
      .insertInto('events')
      .values({
        idempotency_key: `campaign.settled:${r.campaign_id}:${memberId}`,
        process_id: r.process_id,
        member_id: memberId,
        org_id: r.org_id,
        type: 'campaign.registration-settled',
        actor_id: null,
        payload: JSON.stringify({ campaignId: r.campaign_id, reason }),
      })
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
  }
  // The open tasks that counted the member (their registration's branch, and the branch they are in) count again.
  const member = await tx.selectFrom('members').select('branch_id').where('id', '=', memberId).executeTakeFirst();
  const tasks = await tx
    .selectFrom('campaign_tasks as t')
    .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
    .select(['t.campaign_id', 't.org_id'])
    .where('c.status', '=', 'open')
    .where('t.closed_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(member?.branch_id ? [eb('t.org_id', '=', member.branch_id)] : []),
        eb.exists(
          eb
            .selectFrom('campaign_registrations as r')
            .select('r.member_id')
            .whereRef('r.campaign_id', '=', 't.campaign_id')
            .whereRef('r.org_id', '=', 't.org_id')
            .where('r.member_id', '=', memberId),
        ),
        eb.exists(
          eb
            .selectFrom('campaign_grades as g')
            .select('g.member_id')
            .whereRef('g.campaign_id', '=', 't.campaign_id')
            .whereRef('g.org_id', '=', 't.org_id')
            .where('g.member_id', '=', memberId),
        ),
      ]),
    )
    .orderBy('t.campaign_id')
    .orderBy('t.org_id')
    .execute();
  for (const t of tasks) await recountBranch(tx, t.campaign_id, t.org_id);
}

/**
 * The open tasks at their follow-up step whose deferrals are all decided or settled: the ones to tell, once the
 * settling transaction committed, that their follow-up is over (temporal/campaigns.ts `tellSettledTasks`).
 */
export async function tasksSettledFor(db: Db, memberId: string): Promise<{ campaignWorkflowId: string; orgId: string }[]> {
  return db
    .selectFrom('campaign_settlements as s')
    .innerJoin('campaign_tasks as t', (j) => j.onRef('t.campaign_id', '=', 's.campaign_id').onRef('t.org_id', '=', 's.org_id'))
    .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
    .select(['c.workflow_id as campaignWorkflowId', 't.org_id as orgId'])
    .where('s.member_id', '=', memberId)
    .where('t.step', '=', 'follow-up')
    .where('t.closed_at', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('campaign_registrations as r')
            .innerJoin('members as m', 'm.id', 'r.member_id')
            .leftJoin('campaign_settlements as o', (j) => j.onRef('o.campaign_id', '=', 'r.campaign_id').onRef('o.member_id', '=', 'r.member_id'))
            .select('r.member_id')
            .whereRef('r.campaign_id', '=', 't.campaign_id')
            .whereRef('r.org_id', '=', 't.org_id')
            .where('r.decision', '=', 'deferred')
            .where('o.member_id', 'is', null)
            .where('m.status', 'in', ['active', 'probation']),
        ),
      ),
    )
    .execute();
}

/** The deletion a refusal of registration led to, approved, not yet consented to: the latest, with its campaign's year. */
async function blockingRefusal(q: Db | Tx, memberId: string, campaignId?: string) {
  return q
    .selectFrom('deletions as d')
    .innerJoin('campaign_registrations as r', 'r.deletion_process_id', 'd.process_id')
    .innerJoin('campaigns as c', 'c.id', 'r.campaign_id')
    .leftJoin('registration_refusal_consents as k', 'k.deletion_process_id', 'd.process_id')
    .select(['d.process_id', 'd.branch_path', 'c.id as campaign_id', 'c.year', 'c.province_id'])
    .where('d.member_id', '=', memberId)
    .where('d.category', '=', 'registration-refused')
    .where('d.status', '=', 'approved')
    .where('r.decision', '=', 'refused')
    .where('k.deletion_process_id', 'is', null)
    .$if(campaignId !== undefined, (b) => b.where('c.id', '=', campaignId!))
    .orderBy('c.year', 'desc')
    .orderBy('d.decided_at', 'desc')
    .executeTakeFirst();
}

/**
 * R22: a member deleted because registration was refused (不予注册) is not checked in again, by any branch, until
 * the deciding committee (the province, which alone decides deletions, R14) consents; null when no refusal blocks.
 */
export async function registrationRefusalBlock(q: Db | Tx, memberId: string): Promise<{ rule: 'R22'; message: string } | null> {
  const refusal = await blockingRefusal(q, memberId);
  if (!refusal) return null;
  return {
    rule: 'R22',
    message: `R22: this member was deleted after registration was refused (不予注册) in ${refusal.year}; a new check-in needs the province's consent`,
  };
}

/**
 * R22: the deciding committee consents to a re-check-in of a member refused registration in `campaignId`, with its
 * event, once; null when no refusal of that campaign blocks the member (none, or consented already).
 */
export async function recordRefusalConsent(
  db: Db,
  c: { campaignId: string; memberId: string; orgId: string; actorId: string; reason: string },
): Promise<{ deletionProcessId: string } | null> {
  return db.transaction().execute(async (tx) => {
    const refusal = await blockingRefusal(tx, c.memberId, c.campaignId);
    if (!refusal) return null;
    const inserted = await tx
      .insertInto('registration_refusal_consents')
      .values({
        deletion_process_id: refusal.process_id,
        campaign_id: c.campaignId,
        member_id: c.memberId,
        org_id: c.orgId,
        reason: c.reason,
        consented_by: c.actorId,
      })
      .onConflict((oc) => oc.column('deletion_process_id').doNothing())
      .returning('deletion_process_id')
      .executeTakeFirst();
    if (!inserted) return null;
    await tx
      .insertInto('events')
      .values({
        idempotency_key: `campaign.refusal-consent:${refusal.process_id}`,
        member_id: c.memberId,
        org_id: c.orgId,
        type: 'campaign.refusal-consented',
        actor_id: c.actorId,
        payload: JSON.stringify({ campaignId: c.campaignId, deletionProcessId: refusal.process_id, reason: c.reason }),
      })
      .execute();
    return { deletionProcessId: refusal.process_id };
  });
}

/** The province whose consent a member's refusal needs (the root of the deleted member's branch), or null. */
export async function refusalOf(db: Db, campaignId: string, memberId: string): Promise<{ provinceId: string } | null> {
  const r = await blockingRefusal(db, memberId, campaignId);
  return r ? { provinceId: r.province_id } : null;
}

// The campaign routes' lookups (api/campaigns/): a campaign, the organizations it is asked about, a branch's task.

export type CampaignRow = Selectable<CampaignsTable>;

export function campaignById(db: Db, id: string): Promise<CampaignRow | undefined> {
  return db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The province's campaign of `year`, open or closed (R22: one per province and year). */
export function campaignOfYear(db: Db, provinceId: string, year: number): Promise<{ id: string } | undefined> {
  return db.selectFrom('campaigns').select('id').where('province_id', '=', provinceId).where('year', '=', year).executeTakeFirst();
}

/** The province's campaigns, newest year first. */
export function campaignsOfProvince(db: Db, provinceId: string): Promise<CampaignRow[]> {
  return db.selectFrom('campaigns').selectAll().where('province_id', '=', provinceId).orderBy('year', 'desc').limit(100).execute();
}

/** An organization as the campaign routes read it, with its parent (a city's is the province). */
export function campaignOrgById(db: Db | Tx, id: string) {
  return db.selectFrom('organizations').select(['id', 'path', 'depth', 'kind', 'name', 'parent_id']).where('id', '=', id).executeTakeFirst();
}

/** The branch's task in the campaign (only branches have one). */
export function branchTaskOf(db: Db, campaignId: string, orgId: string) {
  return db.selectFrom('campaign_tasks').selectAll().where('campaign_id', '=', campaignId).where('org_id', '=', orgId).executeTakeFirst();
}

/** The process of a branch's task, as its available actions are read from it. */
export function taskProcess(db: Db, processId: string): Promise<ProcessRow | undefined> {
  return db.selectFrom('processes').selectAll().where('id', '=', processId).executeTakeFirst();
}
