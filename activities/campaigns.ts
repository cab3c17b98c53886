// R22: the campaign's activities. The fan-out writes the read-model rows of a page of branches in one transaction
// (their process rows, task rows, first events and task notices, each keyed so a retry writes nothing twice) and
// then starts their task workflows under IDs derived from the branch: a start Temporal already has (a retry after
// a crash, a re-run of the fan-out) is refused by the workflow ID and counted as existing, never started twice.
// Closing and extending reach the open tasks the same way, a page of signals at a time.
import { createHash } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import { likePrefix, recordOnce, type Db, type Tx } from '../db';
import type { Config } from '../domain/config';
import { cityLevelOf, nearestCommitteeOf, pathIds, type OrgRef } from '../domain/orgs';
import { dueAt, levelDeadline, type CampaignPhases, type Due, type Phase } from '../domain/campaign-plan';
import { campaignTaskWorkflowId } from '../domain/workflow-ids';
import { mapLimit } from '../domain/concurrency';
import { ProcessAlreadyOpen } from '../services/start-process';
import { startDeletion } from '../services/deletion-start';
import { branchMembers, evaluationProblem, IN_CAMPAIGN } from '../services/campaign-checks';
import { startAttributes } from '../workflows/definition';
import type { CampaignTaskInput } from '../workflows/campaign-task';
import type { Projection } from './processes';
import { campaignTaskQueue } from '../worker/task-queues';

/** What a campaign's fan-out carries to each page: enough to write and start every task without reading the campaign. */
export interface CampaignRef {
  campaignId: string;
  workflowId: string;
  provinceId: string;
  year: number;
  phases: CampaignPhases;
  timing: CampaignTaskInput['timing'];
}

/** What a fan-out does to each branch of a page: open its task, tell it the campaign closed, or move a phase's deadline. */
export type FanOutOp = { op: 'open' } | { op: 'close' } | { op: 'extend'; phase: Phase; until: Due; reason: string; actorId: string };

export interface FanOutPage {
  campaign: CampaignRef;
  partition: { id: string; path: string };
  action: FanOutOp;
  /** The last branch path of the previous page (keyset), or null at the start. */
  after: string | null;
  limit: number;
  concurrency: number;
}

export interface FanOutCounts {
  branches: number;
  /** Task workflows started (open), or signalled (close, extend). */
  reached: number;
  /** Already started (a retried page, a re-run fan-out), or gone (closed meanwhile). */
  existing: number;
}

/** The task's process ID: the same for a branch and campaign whoever computes it, so rows and starts are keyed by it. */
export function campaignTaskProcessId(campaignId: string, orgId: string): string {
  const h = createHash('sha256').update(`campaign-task:${campaignId}:${orgId}`).digest('hex');
  // A version-4-shaped UUID (the columns are uuid): 8-4-4-4-12 hex digits from the hash.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const ref = (o: { id: string; path: string; parent_id: string | null; kind: OrgRef['kind'] }): OrgRef => ({
  id: o.id,
  path: o.path,
  parentId: o.parent_id,
  kind: o.kind,
});

/**
 * The task inputs of a page of branches: each branch's nearest committee above (the reviewer), the extensions its
 * city already has, and its members to grade.
 */
async function taskInputs(db: Db, c: CampaignRef, branches: { id: string; path: string; parent_id: string | null; kind: OrgRef['kind'] }[]) {
  const ancestors = [...new Set(branches.flatMap((b) => pathIds(b.path).slice(0, -1)))];
  const committees = new Map(
    (ancestors.length === 0
      ? []
      : await db.selectFrom('organizations').select(['id', 'path', 'parent_id', 'kind']).where('id', 'in', ancestors).where('kind', '=', 'committee').execute()
    ).map((o) => [o.id, ref(o)]),
  );
  // The latest extension of each city and phase (a day or an instant: compared as the instants they fall on).
  const extended = new Map<string, Partial<Record<Phase, Due>>>();
  for (const e of await db.selectFrom('campaign_extensions').select(['org_id', 'phase', 'until']).where('campaign_id', '=', c.campaignId).execute()) {
    const city = extended.get(e.org_id) ?? {};
    const before = city[e.phase];
    if (before === undefined || dueAt(e.until) > dueAt(before)) city[e.phase] = e.until;
    extended.set(e.org_id, city);
  }
  const members = new Map(
    (
      await db
        .selectFrom('members')
        .select(['branch_id', sql<number>`count(*)::int`.as('n')])
        .where(
          'branch_id',
          'in',
          branches.map((b) => b.id),
        )
        .where('status', 'in', ['active', 'probation'])
        .where('deleted_at', 'is', null)
        .groupBy('branch_id')
        .execute()
    ).map((r) => [r.branch_id!, r.n]),
  );
  return branches.map((b) => {
    const ids = pathIds(b.path);
    const reviewerId = nearestCommitteeOf(b.path, (id) => committees.has(id)) ?? ids[0]!;
    const reviewer = committees.get(reviewerId) ?? { id: ids[0]!, path: `${ids[0]}/`, parentId: null, kind: 'committee' };
    const cityExtended = extended.get(cityLevelOf(b.path)) ?? {};
    const input: CampaignTaskInput = {
      processId: campaignTaskProcessId(c.campaignId, b.id),
      campaignId: c.campaignId,
      campaignWorkflowId: c.workflowId,
      year: c.year,
      branch: ref(b),
      reviewer,
      phases: c.phases,
      timing: c.timing,
      ...(Object.keys(cityExtended).length > 0 ? { extended: cityExtended } : {}),
    };
    return { input, deadline: new Date(levelDeadline(c.phases.evaluation, 'branch', cityExtended.evaluation)), members: members.get(b.id) ?? 0 };
  });
}

type TaskStart = Awaited<ReturnType<typeof taskInputs>>[number];
type Branch = Parameters<typeof taskInputs>[2][number];

/** A heartbeat when running as an activity (the same functions run in tests outside one). */
function heartbeatIfActivity(details: unknown): void {
  try {
    heartbeat(details);
  } catch {
    // Not in an activity's context: nothing to report to.
  }
}

/** The rows of a page of tasks, in one transaction; rows already there (a retried page) stay as they are. */
async function writeTasks(tx: Tx, c: CampaignRef, tasks: TaskStart[], now: Date): Promise<void> {
  await tx
    .insertInto('processes')
    .values(
      tasks.map(({ input, deadline }) => ({
        id: input.processId,
        kind: 'campaign',
        workflow_id: campaignTaskWorkflowId(c.workflowId, input.branch.id),
        run_id: null,
        member_id: null,
        org_id: input.branch.id,
        org_path: input.branch.path,
        status: 'pending',
        step: 'evaluation',
        step_since: now,
        deadline,
        overdue: false,
        started_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
  await tx
    .insertInto('campaign_tasks')
    .values(
      tasks.map(({ input, deadline, members }) => ({
        campaign_id: c.campaignId,
        org_id: input.branch.id,
        process_id: input.processId,
        org_path: input.branch.path,
        parent_path: input.branch.path.slice(0, input.branch.path.length - input.branch.id.length - 1),
        depth: pathIds(input.branch.path).length - 1,
        reviewer_id: input.reviewer.id,
        step: 'evaluation' as const,
        deadline,
        members_total: members,
      })),
    )
    .onConflict((oc) => oc.columns(['campaign_id', 'org_id']).doNothing())
    .execute();
  const opened = await tx
    .insertInto('events')
    .values(
      tasks.map(({ input, deadline }) => ({
        idempotency_key: `${input.processId}:opened`,
        process_id: input.processId,
        member_id: null,
        org_id: input.branch.id,
        type: 'campaign-task.opened',
        actor_id: null,
        payload: JSON.stringify({ campaignId: c.campaignId, year: c.year, reviewerId: input.reviewer.id, deadline: deadline.toISOString() }),
      })),
    )
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('process_id')
    .execute();
  const fresh = new Set(opened.map((e) => e.process_id));
  const notices = tasks.filter((t) => fresh.has(t.input.processId));
  if (notices.length > 0)
    await tx
      .insertInto('notifications')
      .values(
        notices.map(({ input }) => ({
          idempotency_key: `${input.processId}:opened#0`,
          recipient_org_id: input.branch.id,
          recipient_actor_id: null,
          kind: 'task' as const,
          process_id: input.processId,
          message: `Education evaluation ${c.year}: grade your members and submit`,
        })),
      )
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .execute();
}

/** Starts a task; false when Temporal already has it under its workflow ID (started before, or already closed). */
async function startTask(client: Client, taskQueue: string, c: CampaignRef, t: TaskStart): Promise<boolean> {
  try {
    await client.workflow.start('campaignTask', {
      workflowId: campaignTaskWorkflowId(c.workflowId, t.input.branch.id),
      taskQueue,
      args: [t.input],
      // Once per branch and campaign, ever: neither a retried page nor a re-run fan-out starts it again.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: startAttributes('campaign', t.input.branch, t.deadline),
    });
    return true;
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw e;
  }
}

/** Sends a signal to a task; false when the task is gone (closed already). */
async function signalTask(client: Client, workflowId: string, action: FanOutOp): Promise<boolean> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    if (action.op === 'close') await handle.signal('campaignClosed');
    else if (action.op === 'extend')
      await handle.signal('campaignExtended', { phase: action.phase, until: action.until, reason: action.reason, actorId: action.actorId });
    return true;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}

/** The campaign task's row follows its process: step, deadline, overdue, when each phase was handed in, how it ended. */
export const campaignProjection: Projection = async (tx, e, now) => {
  if (e.type === 'campaign-task.evaluated') await checkHandIn(tx, e.processId);
  const patch = e.patch ?? {};
  const done = patch.closed ? { step: e.outcome === 'approved' ? ('done' as const) : ('unfinished' as const), closed_at: now, overdue: false } : {};
  const set = {
    ...(patch.step && !patch.closed ? { step: patch.step as 'evaluation', overdue: false } : {}),
    ...(patch.deadline ? { deadline: patch.deadline } : {}),
    ...(patch.overdue !== undefined ? { overdue: patch.overdue } : {}),
    ...(e.type === 'campaign-task.evaluated' ? { evaluated_at: now } : {}),
    ...(e.type === 'campaign-task.confirmed' ? { confirmed_at: now, returned_reason: null } : {}),
    // Returned: evaluated no more until handed in again.
    ...(e.type === 'campaign-task.returned' ? { returned_reason: String(e.payload?.reason ?? ''), evaluated_at: null } : {}),
    // The registration handed in (the first time; a follow-up of deferred members does not move it).
    ...(e.type === 'campaign-task.registration-submitted' && e.payload?.from === 'registration' ? { registered_at: now } : {}),
    ...done,
  };
  if (Object.keys(set).length === 0) return;
  await tx.updateTable('campaign_tasks').set(set).where('process_id', '=', e.processId).where('closed_at', 'is', null).execute();
};

/**
 * R22: the evaluation's hand-in decided against the grades as they are now: the task's row is locked (the grade
 * writes take the same lock and check the step, api/campaigns.ts), so a grade raised at the moment of the hand-in
 * is either counted here or refused there; over the cap (or a member ungraded) the hand-in is refused and nothing is
 * written (the workflow goes back to the evaluation step).
 */
async function checkHandIn(tx: Tx, processId: string): Promise<void> {
  const task = await tx
    .selectFrom('campaign_tasks as t')
    .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
    .select(['t.org_id', 'c.id', 'c.year', 'c.excellent_cap'])
    .where('t.process_id', '=', processId)
    .forUpdate('t')
    .executeTakeFirst();
  if (!task) return;
  const problem = evaluationProblem(await branchMembers(tx, { id: task.id, year: task.year }, task.org_id), task.excellent_cap);
  if (problem)
    throw ApplicationFailure.create({ type: 'rule', message: problem, details: [{ kind: 'rule', message: problem, rule: 'R22' }], nonRetryable: true });
}

export interface CampaignOpenInput extends CampaignRef {
  provincePath: string;
  excellentCap: number | null;
  openedBy: string;
}

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
