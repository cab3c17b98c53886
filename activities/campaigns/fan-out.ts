// R22: the campaign's fan-out, a page of branches at a time. It writes the read-model rows of the page in one
// transaction (their process rows, task rows, first events and task notices, each keyed so a retry writes nothing
// twice) and then starts their task workflows under IDs derived from the branch: a start Temporal already has (a
// retry after a crash, a re-run of the fan-out) is refused by the workflow ID and counted as existing, never started
// twice. Closing and extending reach the open tasks the same way, a page of signals at a time.
import { createHash } from 'node:crypto';
import { heartbeat } from '@temporalio/activity';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { sql } from 'kysely';
import type { Db, Tx } from '../../db';
import { cityLevelOf, nearestCommitteeOf, pathIds, type OrgRef } from '../../domain/orgs';
import { dueAt, levelDeadline, type CampaignTaskInput, type Due, type Phase } from '../../domain/campaign-plan';
import { campaignTaskWorkflowId } from '../../domain/workflow-ids';
import { startAttributes } from '../../domain/search-attributes';
import { campaignClosedSignal, campaignExtendedSignal, type CampaignRef, type FanOutOp } from '../../processes/campaign';

/** What a campaign's fan-out carries to each page: enough to write and start every task without reading the campaign. */
export interface FanOutPage {
  campaign: CampaignRef;
  partition: { id: string; path: string };
  action: FanOutOp;
  /** The last branch path of the previous page (keyset), or null at the start. */
  after: string | null;
  limit: number;
  concurrency: number;
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
export async function taskInputs(db: Db, c: CampaignRef, branches: { id: string; path: string; parent_id: string | null; kind: OrgRef['kind'] }[]) {
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

export type TaskStart = Awaited<ReturnType<typeof taskInputs>>[number];
export type Branch = Parameters<typeof taskInputs>[2][number];

/** A heartbeat when running as an activity (the same functions run in tests outside one). */
export function heartbeatIfActivity(details: unknown): void {
  try {
    heartbeat(details);
  } catch {
    // Not in an activity's context: nothing to report to.
  }
}

/** The rows of a page of tasks, in one transaction; rows already there (a retried page) stay as they are. */
export async function writeTasks(tx: Tx, c: CampaignRef, tasks: TaskStart[], now: Date): Promise<void> {
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
export async function startTask(client: Client, taskQueue: string, c: CampaignRef, t: TaskStart): Promise<boolean> {
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
export async function signalTask(client: Client, workflowId: string, action: FanOutOp): Promise<boolean> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    if (action.op === 'close') await handle.signal(campaignClosedSignal);
    else if (action.op === 'extend')
      await handle.signal(campaignExtendedSignal, { phase: action.phase, until: action.until, reason: action.reason, actorId: action.actorId });
    return true;
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}
