// R22: the campaign's activities: its rows and events, the fan-out's pages (fan-out.ts), the branches created while
// it is open, and the registration's settlement (a member refused registration goes to the deletion process).
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { sql } from 'kysely';
import { likePrefix, recordOnce, type Db } from '../../db';
import type { Config } from '../../domain/config';
import { IN_CAMPAIGN, type Due, type Phase } from '../../domain/campaign-plan';
import { campaignTaskWorkflowId } from '../../domain/workflow-ids';
import { mapLimit } from '../../domain/concurrency';
import { campaignTaskQueue } from '../../domain/task-queues';
import { ProcessAlreadyOpen } from '../../temporal/start-process';
import { startDeletion } from '../../temporal/deletion-start';
import { heartbeatIfActivity, signalTask, startTask, taskInputs, writeTasks, type Branch, type FanOutPage } from './fan-out';
import type { CampaignOpenInput, CampaignRef, FanOutCounts } from '../../processes/campaign';

export { campaignTaskProcessId, type FanOutPage } from './fan-out';
export { campaignProjection } from './projection';

export function createCampaignActivities(deps: { db: Db; client?: Client; config?: Config }) {
  const { db } = deps;
  function need(): { client: Client; config: Config } {
    if (!deps.client || !deps.config)
      throw ApplicationFailure.nonRetryable('campaigns need the worker to have a Temporal client and the config', 'InvariantViolation');
    return { client: deps.client, config: deps.config };
  }

  /**
   * The tasks of some branches: their rows in one transaction, then their starts under IDs derived from the branch
   * (a start Temporal already has counts as existing). The fan-out's pages and the branches created later use it.
   */
  async function openTasks(c: CampaignRef, branches: Branch[], concurrency: number): Promise<FanOutCounts> {
    const { client, config } = need();
    heartbeatIfActivity(0);
    const tasks = await taskInputs(db, c, branches);
    const now = new Date();
    await db.transaction().execute((tx) => writeTasks(tx, c, tasks, now));
    heartbeatIfActivity(0);
    let reached = 0;
    let done = 0;
    await mapLimit(tasks, concurrency, async (t) => {
      if (await startTask(client, campaignTaskQueue(config.taskQueue), c, t)) reached += 1;
      if (++done % 10 === 0) heartbeatIfActivity(done);
    });
    return { branches: tasks.length, reached, existing: tasks.length - reached };
  }

  return {
    /**
     * R22: branches created while the campaign is open (imported, moved in) get their tasks with the phase's
     * deadlines, as the fan-out gives them: only branches of the campaign's province, not those that have one.
     */
    async openBranchTasks(i: { campaign: CampaignRef; branchIds: string[]; concurrency: number }): Promise<FanOutCounts> {
      const c = i.campaign;
      if (i.branchIds.length === 0) return { branches: 0, reached: 0, existing: 0 };
      const branches = await db
        .selectFrom('organizations')
        .select(['id', 'path', 'parent_id', 'kind'])
        .where('kind', '=', 'branch')
        .where('id', 'in', i.branchIds)
        .where('path', 'like', likePrefix(`${c.provinceId}/`))
        .orderBy('path')
        .execute();
      if (branches.length === 0) return { branches: 0, reached: 0, existing: 0 };
      const counts = await openTasks(c, branches, i.concurrency);
      await db
        .updateTable('campaigns')
        .set({ tasks: sql<number>`(select count(*)::int from campaign_tasks where campaign_id = ${c.campaignId})` })
        .where('id', '=', c.campaignId)
        .where('fanned_out_at', 'is not', null)
        .execute();
      return counts;
    },

    /** The campaign's row and its first event, once. */
    async recordCampaignOpened(c: CampaignOpenInput): Promise<void> {
      await recordOnce(
        db,
        {
          idempotency_key: `${c.campaignId}:opened`,
          org_id: c.provinceId,
          type: 'campaign.opened',
          actor_id: c.openedBy,
          payload: { campaignId: c.campaignId, year: c.year },
        },
        async (tx) => {
          await tx
            .insertInto('campaigns')
            .values({
              id: c.campaignId,
              province_id: c.provinceId,
              year: c.year,
              workflow_id: c.workflowId,
              status: 'open',
              phases: JSON.stringify(c.phases),
              excellent_cap: c.excellentCap,
              opened_by: c.openedBy,
            })
            .execute();
        },
      );
    },

    /** The partitions of the fan-out: the province root's children, each with its subtree. */
    async campaignPartitions(i: { provinceId: string }): Promise<{ id: string; path: string }[]> {
      return db.selectFrom('organizations').select(['id', 'path']).where('parent_id', '=', i.provinceId).orderBy('path').execute();
    },

    /** Every branch has its task: the campaign says so, with the count. */
    async recordFannedOut(i: { campaignId: string; tasks: number }): Promise<void> {
      await recordOnce(db, { idempotency_key: `${i.campaignId}:fanned-out`, type: 'campaign.fanned-out', payload: { tasks: i.tasks } }, async (tx) => {
        // The rows, not the fan-out's count: a branch created during the fan-out got its task apart from it.
        const { n } = await tx
          .selectFrom('campaign_tasks')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('campaign_id', '=', i.campaignId)
          .executeTakeFirstOrThrow();
        await tx
          .updateTable('campaigns')
          .set({ fanned_out_at: new Date(), tasks: Math.max(n, i.tasks) })
          .where('id', '=', i.campaignId)
          .execute();
      });
    },

    /** The province extended a phase for one city: the row and its event, once (the API checked the city). */
    async recordCampaignExtension(i: {
      campaignId: string;
      extensionId: string;
      cityId: string;
      phase: Phase;
      until: Due;
      reason: string;
      actorId: string;
    }): Promise<void> {
      await recordOnce(
        db,
        {
          idempotency_key: `${i.campaignId}:extension:${i.extensionId}`,
          org_id: i.cityId,
          type: 'campaign.extended',
          actor_id: i.actorId,
          payload: { phase: i.phase, until: i.until, reason: i.reason },
        },
        async (tx) => {
          await tx
            .insertInto('campaign_extensions')
            .values({
              id: i.extensionId,
              campaign_id: i.campaignId,
              org_id: i.cityId,
              phase: i.phase,
              until: i.until.slice(0, 10),
              reason: i.reason,
              extended_by: i.actorId,
            })
            .execute();
        },
      );
    },

    /**
     * R22: closing records every unfinished task as unfinished (its process closed, lapsed), with an event each, in
     * one transaction with the campaign's own; the tasks hear of it afterwards (a `close` fan-out).
     */
    async closeCampaignTasks(i: { campaignId: string; reason?: string; actorId: string }): Promise<{ unfinished: number }> {
      let unfinished = 0;
      const { applied } = await recordOnce(
        db,
        { idempotency_key: `${i.campaignId}:closed`, type: 'campaign.closed', actor_id: i.actorId, payload: { reason: i.reason ?? null } },
        async (tx) => {
          const now = new Date();
          const open = await tx
            .updateTable('campaign_tasks')
            .set({ step: 'unfinished', closed_at: now, overdue: false })
            .where('campaign_id', '=', i.campaignId)
            .where('closed_at', 'is', null)
            .returning(['process_id', 'org_id'])
            .execute();
          unfinished = open.length;
          for (let k = 0; k < open.length; k += 5000) {
            const page = open.slice(k, k + 5000);
            heartbeatIfActivity(k);
            // Closed as lapsed, and the branch's again (a task at its review step was the committee's).
            await sql`update processes p set status = 'lapsed', step = 'closed', closed_at = ${now}, overdue = false, updated_at = ${now},
                org_id = t.org_id, org_path = t.org_path
              from campaign_tasks t
              where t.process_id = p.id and p.closed_at is null and p.id = any(${page.map((t) => t.process_id)}::uuid[])`.execute(tx);
            await tx
              .insertInto('events')
              .values(
                page.map((t) => ({
                  idempotency_key: `${t.process_id}:unfinished`,
                  process_id: t.process_id,
                  org_id: t.org_id,
                  type: 'campaign-task.unfinished',
                  actor_id: i.actorId,
                  payload: JSON.stringify({ campaignId: i.campaignId }),
                })),
              )
              .onConflict((oc) => oc.column('idempotency_key').doNothing())
              .execute();
          }
          await tx
            .updateTable('campaigns')
            .set({ status: 'closed', closed_at: now, closed_by: i.actorId, close_reason: i.reason ?? null })
            .where('id', '=', i.campaignId)
            .execute();
        },
      );
      if (!applied) {
        // A retry after the close committed: the same answer, from what it wrote.
        const row = await db
          .selectFrom('campaign_tasks')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('campaign_id', '=', i.campaignId)
          .where('step', '=', 'unfinished')
          .executeTakeFirstOrThrow();
        unfinished = row.n;
      }
      return { unfinished };
    },

    /**
     * One page of a fan-out: the partition's next `limit` branches (open) or open tasks (close, extend), by path.
     * Heartbeats as it goes; a retry does the page again and finds its rows written and its starts made.
     */
    async fanOutPage(p: FanOutPage): Promise<FanOutCounts & { next: string | null }> {
      const { client } = need();
      const { campaign: c, partition, action } = p;
      if (action.op === 'open') {
        const branches = await db
          .selectFrom('organizations')
          .select(['id', 'path', 'parent_id', 'kind'])
          .where('kind', '=', 'branch')
          .where('path', 'like', likePrefix(partition.path))
          .$if(p.after !== null, (q) => q.where('path', '>', p.after!))
          .orderBy('path')
          .limit(p.limit)
          .execute();
        if (branches.length === 0) return { branches: 0, reached: 0, existing: 0, next: null };
        const counts = await openTasks(c, branches, p.concurrency);
        return { ...counts, next: branches.length < p.limit ? null : branches[branches.length - 1]!.path };
      }
      const tasks = await db
        .selectFrom('campaign_tasks')
        .select(['org_id', 'org_path'])
        .where('campaign_id', '=', c.campaignId)
        .where('org_path', 'like', likePrefix(partition.path))
        .$if(action.op === 'close', (q) => q.where('step', '=', 'unfinished'))
        .$if(action.op === 'extend', (q) => q.where('closed_at', 'is', null))
        .$if(p.after !== null, (q) => q.where('org_path', '>', p.after!))
        .orderBy('org_path')
        .limit(p.limit)
        .execute();
      let reached = 0;
      let done = 0;
      await mapLimit(tasks, p.concurrency, async (t) => {
        if (await signalTask(client, campaignTaskWorkflowId(c.workflowId, t.org_id), action)) reached += 1;
        if (++done % 10 === 0) heartbeatIfActivity(done);
      });
      return { branches: tasks.length, reached, existing: tasks.length - reached, next: tasks.length < p.limit ? null : tasks[tasks.length - 1]!.org_path };
    },

    /**
     * R22: after the branch hands in its registration: each member refused registration (不予注册) goes to the
     * deletion process (R14), once; the members deferred (暂缓注册) are followed up by their latest date.
     */
    async settleRegistration(i: {
      campaignId: string;
      orgId: string;
      processId: string;
    }): Promise<{ followUpBy: string | null; deferred: number; refused: number; deletions: number }> {
      const rows = await db
        .selectFrom('campaign_registrations as r')
        .innerJoin('members as m', 'm.id', 'r.member_id')
        .leftJoin('organizations as b', 'b.id', 'm.branch_id')
        .leftJoin('campaign_settlements as s', (j) => j.onRef('s.campaign_id', '=', 'r.campaign_id').onRef('s.member_id', '=', 'r.member_id'))
        .select([
          'r.member_id',
          'r.decision',
          'r.reason',
          sql<string | null>`r.follow_up_on::text`.as('follow_up_on'),
          'r.deletion_process_id',
          'r.recorded_by',
          'm.status',
          'b.path as branch_path',
          'b.special_kind',
          's.member_id as settled',
        ])
        .where('r.campaign_id', '=', i.campaignId)
        .where('r.org_id', '=', i.orgId)
        .execute();
      const year = (await db.selectFrom('campaigns').select('year').where('id', '=', i.campaignId).executeTakeFirstOrThrow()).year;
      let deletions = 0;
      const refused = rows.filter((r) => r.decision === 'refused');
      for (const r of refused.filter((x) => x.deletion_process_id === null && (x.status === 'active' || x.status === 'probation') && x.branch_path)) {
        heartbeatIfActivity(deletions);
        const processId = await refusalDeletion(deps, r, year);
        if (processId === null) continue;
        await db
          .updateTable('campaign_registrations')
          .set({ deletion_process_id: processId })
          .where('campaign_id', '=', i.campaignId)
          .where('member_id', '=', r.member_id)
          .execute();
        deletions += 1;
      }
      // R25: a deferred member who left is settled (db/queries/campaigns.ts): nobody decides them again.
      const deferred = rows.filter((r) => r.decision === 'deferred' && r.settled === null && (IN_CAMPAIGN as readonly string[]).includes(r.status));
      const followUpBy = deferred.reduce<string | null>(
        (latest, r) => (r.follow_up_on && (latest === null || r.follow_up_on > latest) ? r.follow_up_on : latest),
        null,
      );
      return { followUpBy, deferred: deferred.length, refused: refused.length, deletions };
    },
  };

  /** The deletion of a member refused registration, or the one already open for them; null if none can start. */
  async function refusalDeletion(
    d: typeof deps,
    r: { member_id: string; reason: string | null; recorded_by: string; branch_path: string | null; special_kind: string | null },
    year: number,
  ): Promise<string | null> {
    const { client, config } = need();
    try {
      const recorded = await startDeletion(
        { db: d.db, client, config },
        { id: r.member_id, branchPath: r.branch_path!, graduate: r.special_kind === 'graduate' },
        { category: 'registration-refused', reason: `R22: 不予注册 (${year}): ${r.reason ?? ''}`.slice(0, 500), appliedBy: r.recorded_by },
      );
      return recorded.processId;
    } catch (e) {
      if (!(e instanceof ProcessAlreadyOpen)) throw e;
      const open = await d.db
        .selectFrom('processes')
        .select('id')
        .where('kind', '=', 'deletion')
        .where('member_id', '=', r.member_id)
        .where('closed_at', 'is', null)
        .executeTakeFirst();
      return open?.id ?? null;
    }
  }
}

export type CampaignActivities = ReturnType<typeof createCampaignActivities>;
