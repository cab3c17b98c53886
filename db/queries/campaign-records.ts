// R22: what a branch writes to its task in a campaign (its members' grades and registrations) and what an
// organization registers (its cadres, 团干部注册): each write one transaction with its event, keyed so that a
// retry writes nothing twice (services/campaign-records.ts checks the rules; api/campaigns/records.ts answers).
import { createHash, randomUUID } from 'node:crypto';
import { recordOnce, type Db, type Tx } from '../index';
import { currentPost } from './cadres';
import { recountBranch, type CampaignRow } from './campaigns';
import type { Grade, RegistrationDecision } from '../../domain/campaign-plan';
import { DomainError } from '../../domain/errors';
import { officeDay } from '../../domain/office-day';

/** Locks the branch's task for the write (grades and registrations of one branch are written one at a time). */
async function lockedStep(tx: Tx, campaignId: string, orgId: string): Promise<string> {
  const row = await tx
    .selectFrom('campaign_tasks')
    .select('step')
    .where('campaign_id', '=', campaignId)
    .where('org_id', '=', orgId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return row.step;
}

/** The event key of one write: the request's Idempotency-Key (a retry writes nothing twice), else a fresh one. */
const writeKey = (what: string, campaignId: string, orgId: string, actorId: string, key: string | undefined) =>
  `campaign.${what}:${campaignId}:${orgId}:${actorId}:${key ?? randomUUID()}`;

export type Recount = Awaited<ReturnType<typeof recountBranch>>;

/**
 * A branch's write to its task (its grades, its registrations): in one transaction, keyed by the request, the
 * `campaign.<what>-recorded` event, the task locked (one write per branch at a time) and its step checked, the
 * rows `write` writes, and the task's member counts recounted. Undefined when the same request was already
 * recorded (it writes nothing); else what `write` answered and the recount.
 */
export async function recordOnTask<T>(
  db: Db,
  w: {
    what: 'grades' | 'registrations';
    campaign: CampaignRow;
    org: { id: string };
    task: { process_id: string };
    actorId: string;
    key: string | undefined;
    payload: Record<string, unknown>;
    /** The steps the write is taken at, and how the refusal names them. */
    steps: readonly string[];
    stepsText: string;
  },
  write: (tx: Tx, step: string) => Promise<T>,
): Promise<{ result: T; counts: Recount } | undefined> {
  const { campaign, org } = w;
  let done: { result: T; counts: Recount } | undefined;
  await recordOnce(
    db,
    {
      idempotency_key: writeKey(w.what, campaign.id, org.id, w.actorId, w.key),
      type: `campaign.${w.what}-recorded`,
      process_id: w.task.process_id,
      org_id: org.id,
      actor_id: w.actorId,
      payload: { campaignId: campaign.id, ...w.payload },
    },
    async (tx) => {
      const step = await lockedStep(tx, campaign.id, org.id);
      if (!w.steps.includes(step)) throw DomainError.conflict(`R22: ${w.what} are recorded at ${w.stepsText}; this branch's task is at "${step}"`, 'R22');
      const result = await write(tx, step);
      done = { result, counts: await recountBranch(tx, campaign.id, org.id) };
    },
  );
  return done;
}

/** The task's member counts as they stand, recounted (a repeated write wrote nothing). */
export function recountBranchNow(db: Db, campaignId: string, orgId: string): Promise<Recount> {
  return db.transaction().execute((tx) => recountBranch(tx, campaignId, orgId));
}

/** Upserts the branch's grades (the latest recorded wins). */
export async function writeGrades(
  tx: Tx,
  w: { campaignId: string; orgId: string; actorId: string; grades: readonly { memberId: string; grade: Grade }[] },
): Promise<void> {
  await tx
    .insertInto('campaign_grades')
    .values(w.grades.map((g) => ({ campaign_id: w.campaignId, member_id: g.memberId, org_id: w.orgId, grade: g.grade, recorded_by: w.actorId })))
    .onConflict((oc) =>
      oc
        .columns(['campaign_id', 'member_id'])
        .doUpdateSet((eb) => ({ grade: eb.ref('excluded.grade'), recorded_by: eb.ref('excluded.recorded_by'), recorded_at: new Date() })),
    )
    .execute();
}

/** Upserts the branch's registration decisions (the latest recorded wins). */
export async function writeRegistrations(
  tx: Tx,
  w: {
    campaignId: string;
    orgId: string;
    actorId: string;
    entries: readonly { memberId: string; decision: RegistrationDecision; reason?: string | undefined; followUpOn?: string | undefined }[];
  },
): Promise<void> {
  await tx
    .insertInto('campaign_registrations')
    .values(
      w.entries.map((e) => ({
        campaign_id: w.campaignId,
        member_id: e.memberId,
        org_id: w.orgId,
        decision: e.decision,
        reason: e.reason ?? null,
        follow_up_on: e.followUpOn ?? null,
        recorded_by: w.actorId,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['campaign_id', 'member_id']).doUpdateSet((eb) => ({
        decision: eb.ref('excluded.decision'),
        reason: eb.ref('excluded.reason'),
        follow_up_on: eb.ref('excluded.follow_up_on'),
        recorded_by: eb.ref('excluded.recorded_by'),
        recorded_at: new Date(),
      })),
    )
    .execute();
}

/** The organization's current cadres (the R8 registry), each with whether it is registered in the campaign. */
export async function cadresInCampaign(db: Db, campaignId: string, orgId: string): Promise<{ id: string; name: string; post: string; registered: boolean }[]> {
  const rows = await db
    .selectFrom('cadres')
    .leftJoin('campaign_cadres as cc', (j) => j.onRef('cc.cadre_id', '=', 'cadres.id').on('cc.campaign_id', '=', campaignId))
    .select(['cadres.id', 'cadres.name', 'cadres.post', 'cc.cadre_id as registered'])
    .where('cadres.org_id', '=', orgId)
    .where(currentPost('cadres', officeDay()))
    .orderBy('cadres.id')
    .execute();
  return rows.map((c) => ({ id: c.id, name: c.name, post: c.post, registered: c.registered !== null }));
}

/**
 * R22 (团干部注册): registers `cadreIds` of the organization in the campaign, with its event. Keyed by what is
 * registered: a retry, or the same cadres sent twice, registers and records them once.
 */
export async function registerCadres(
  db: Db,
  r: { campaignId: string; org: { id: string; path: string }; actorId: string; cadreIds: readonly string[] },
): Promise<void> {
  const digest = createHash('sha256').update(r.cadreIds.join(',')).digest('hex').slice(0, 32);
  await recordOnce(
    db,
    {
      idempotency_key: `campaign.cadres:${r.campaignId}:${r.org.id}:${digest}`,
      type: 'campaign.cadres-registered',
      org_id: r.org.id,
      actor_id: r.actorId,
      payload: { campaignId: r.campaignId, cadreIds: [...r.cadreIds] },
    },
    async (tx) => {
      await tx
        .insertInto('campaign_cadres')
        .values(r.cadreIds.map((id) => ({ campaign_id: r.campaignId, cadre_id: id, org_id: r.org.id, org_path: r.org.path, registered_by: r.actorId })))
        .onConflict((oc) => oc.columns(['campaign_id', 'cadre_id']).doNothing())
        .execute();
    },
  );
}
