// R22 at scale, on a small tree: a campaign fans out one task per branch through a child workflow per partition
// (a child of the province root), a page of branches per activity; the task workflows start under IDs derived
// from the branch, so a retried page, a re-run fan-out or a worker killed in the middle starts nothing twice.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { sql } from 'kysely';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCampaignActivities } from '../activities/campaigns';
import type { CampaignRef } from '../processes/campaign';
import { campaignTaskWorkflowId } from '../domain/workflow-ids';
import {
  spawnTuanwu,
  TEST_PAYLOAD_KEYS,
  type Spawned,
  call,
  eventually,
  importOrgs,
  seedTree,
  startSystem,
  testCampaignPlan,
  type System,
  type Tree,
} from './harness';

/** Small pages and few starts at a time, so the fan-out takes several pages per partition and can be cut in the middle. */
const CAMPAIGN = { fanOutPage: 15, startConcurrency: 3 };

let sys: System;
const workers: Spawned[] = [];

/** A worker as its own process (`npm run worker`), polling this file's task queue: it can be killed and started again. */
async function startWorker(): Promise<Spawned> {
  const worker = spawnTuanwu('worker', {
    DATABASE_URL: inject('databaseUrl'),
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TUANWU_TASK_QUEUE: sys.config.taskQueue,
    TUANWU_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
    TUANWU_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    TUANWU_WORKER_METRICS_PORT: '0',
  });
  workers.push(worker);
  await eventually(async () => {
    if (!worker.alive()) throw new Error(`the worker exited: ${worker.output().slice(-3000)}`);
    return worker.output().includes('polling');
  }, 60_000);
  return worker;
}

/** A tree with `n` more branches under its two counties, so the fan-out has pages to go through. */
async function widen(tree: Tree, n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, (_, i) => `${tree.ids.province}-w${i}`);
  await importOrgs(
    sys.app,
    ids.map((id, i) => ({ id, parentId: i % 2 === 0 ? tree.ids.county1 : tree.ids.county2, name: `支部${i}`, kind: 'branch', contactPhone: '020-12345678' })),
  );
  return ids;
}

/** Every branch of the tree below the province (the three of seedTree and the added ones). */
async function branchesOf(tree: Tree): Promise<string[]> {
  const rows = await sys.db.selectFrom('organizations').select('id').where('kind', '=', 'branch').where('path', 'like', `${tree.ids.province}/%`).execute();
  return rows.map((r) => r.id).sort();
}

/** The task workflows Temporal has for the campaign's branches, runs of the same ID counted apart. */
async function taskRuns(workflowId: string): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for await (const w of sys.env.client.workflow.list({ query: `WorkflowType = 'campaignTask' AND WorkflowId STARTS_WITH '${workflowId}-task-'` }))
    runs.set(w.workflowId, (runs.get(w.workflowId) ?? 0) + 1);
  return runs;
}

/** Rollups that differ from the tasks they sum (none when the trigger keeps them right). */
async function rollupsDrift(campaignId: string): Promise<unknown[]> {
  const { rows } = await sql`
    select coalesce(r.parent_path, t.parent_path) as parent, r.total, t.total as tasks, r.overdue, t.overdue as tasks_overdue, r.members_total, t.members as tasks_members
    from campaign_rollups r
    full join (
      select parent_path, count(*)::int as total, (count(*) filter (where overdue and step not in ('done', 'unfinished')))::int as overdue,
        sum(members_total)::int as members
      from campaign_tasks where campaign_id = ${campaignId} group by parent_path
    ) t on t.parent_path = r.parent_path
    where (r.campaign_id = ${campaignId} or r.campaign_id is null)
      and (r.total is distinct from t.total or r.overdue is distinct from t.overdue or r.members_total is distinct from t.members)`.execute(sys.db);
  return rows;
}

async function opened(tree: Tree, year: number): Promise<{ campaignId: string; workflowId: string }> {
  const r = await call(sys.app, 'POST', '/api/campaigns', tree.tokens.province, testCampaignPlan({ year }));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return { campaignId: r.body.campaignId as string, workflowId: r.body.workflowId as string };
}

const fannedOut = (campaignId: string, timeoutMs = 120_000) =>
  eventually(
    async () =>
      (await sys.db.selectFrom('campaigns').select('fanned_out_at').where('id', '=', campaignId).executeTakeFirst())?.fanned_out_at ? true : undefined,
    timeoutMs,
    'the campaign to fan out',
  );

beforeAll(async () => {
  sys = await startSystem({ worker: false, campaign: CAMPAIGN });
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await sys?.stop();
});

describe('R22: the campaign fan-out', () => {
  it(
    'R22: a campaign reaches every branch down the tree with one task each, a re-run of a fan-out page starts nothing twice, and its progress rollups sum exactly its tasks',
    { timeout: 240_000 },
    async () => {
      const worker = await startWorker();
      const tree = await seedTree(sys.app);
      await widen(tree, 40);
      const branches = await branchesOf(tree);
      const { campaignId, workflowId } = await opened(tree, 2031);
      await fannedOut(campaignId);

      const tasks = await sys.db.selectFrom('campaign_tasks').selectAll().where('campaign_id', '=', campaignId).orderBy('org_id').execute();
      expect(tasks.map((t) => t.org_id).sort()).toEqual(branches);
      expect(new Set(tasks.map((t) => t.step))).toEqual(new Set(['evaluation']));
      // The nearest committee above each branch reviews it (R22 "the branch's committee above").
      expect(tasks.find((t) => t.org_id === tree.ids.branch1)!.reviewer_id).toBe(tree.ids.school1);
      expect(tasks.find((t) => t.org_id === tree.ids.branch3)!.reviewer_id).toBe(tree.ids.county2);
      const campaign = await sys.db.selectFrom('campaigns').selectAll().where('id', '=', campaignId).executeTakeFirstOrThrow();
      expect(campaign.tasks).toBe(branches.length);
      const runs = await eventually(async () => {
        const r = await taskRuns(workflowId);
        return r.size === branches.length && r;
      });
      expect([...runs.values()].every((n) => n === 1)).toBe(true);

      // The same page again, as a retried activity would do it: every row and start is found, nothing is new.
      const activities = createCampaignActivities({ db: sys.db, client: sys.env.client, config: sys.config });
      const ref: CampaignRef = {
        campaignId,
        workflowId,
        provinceId: tree.ids.province,
        year: 2031,
        phases: campaign.phases,
        timing: { reminderOffsetsMs: [], escalationIntervalMs: 86_400_000 },
      };
      const city1 = await sys.db.selectFrom('organizations').select(['id', 'path']).where('id', '=', tree.ids.city1).executeTakeFirstOrThrow();
      const events = async () =>
        (
          await sys.db
            .selectFrom('events')
            .select(sql<number>`count(*)::int`.as('n'))
            .where('type', '=', 'campaign-task.opened')
            .where('org_id', 'in', branches)
            .executeTakeFirstOrThrow()
        ).n;
      const before = await events();
      const again = await activities.fanOutPage({ campaign: ref, partition: city1, action: { op: 'open' }, after: null, limit: 500, concurrency: 4 });
      expect(again.branches).toBeGreaterThan(20);
      expect(again.reached).toBe(0);
      expect(again.existing).toBe(again.branches);
      expect(await events()).toBe(before);
      expect((await taskRuns(workflowId)).size).toBe(branches.length);

      // The progress rollups (one per parent of branches, kept by a trigger) sum exactly the tasks under them, also
      // after concurrent changes of sibling branches, each in its own transaction.
      await Promise.all(
        tasks.map((t, i) =>
          sys.db
            .updateTable('campaign_tasks')
            .set({ overdue: i % 3 === 0, members_total: i % 7 })
            .where('campaign_id', '=', campaignId)
            .where('org_id', '=', t.org_id)
            .execute(),
        ),
      );
      expect(await rollupsDrift(campaignId)).toEqual([]);

      // The campaign's own history holds a child per partition, not one per branch.
      const history = await sys.env.client.workflow.getHandle(workflowId).fetchHistory();
      expect(history.events!.length).toBeLessThan(100);
      const close = await call(sys.app, 'POST', `/api/campaigns/${campaignId}/close`, tree.tokens.province, {});
      expect(close.status, JSON.stringify(close.body)).toBe(200);
      expect(close.body.unfinished).toBe(branches.length);
      // Nothing silently dropped: each unfinished task is recorded so, its process closed as lapsed, the branch's again.
      const processes = await sys.db
        .selectFrom('processes')
        .select(['status', 'closed_at', 'org_id'])
        .where(
          'id',
          'in',
          tasks.map((t) => t.process_id),
        )
        .execute();
      expect(processes.filter((r) => r.status !== 'lapsed' || r.closed_at === null)).toEqual([]);
      expect(processes.map((r) => r.org_id).sort()).toEqual(branches);
      const unfinished = await sys.db
        .selectFrom('events')
        .select('process_id')
        .where('type', '=', 'campaign-task.unfinished')
        .where('org_id', 'in', branches)
        .execute();
      expect(unfinished).toHaveLength(branches.length);
      // The tasks hear of it and end (the close fan-out signals each).
      await eventually(async () => {
        const open = await sys.env.client.workflow.count(
          `WorkflowType = 'campaignTask' AND WorkflowId STARTS_WITH '${workflowId}-task-' AND ExecutionStatus = 'Running'`,
        );
        return open.count === 0;
      }, 60_000);
      await worker.stop('SIGKILL');
    },
  );

  it('R22: the worker killed in the middle of the fan-out and restarted: every branch gets its task, none is started twice', { timeout: 300_000 }, async () => {
    let worker = await startWorker();
    const tree = await seedTree(sys.app);
    await widen(tree, 120);
    const branches = await branchesOf(tree);
    const { campaignId, workflowId } = await opened(tree, 2032);
    const written = async () =>
      (
        await sys.db
          .selectFrom('campaign_tasks')
          .select(sql<number>`count(*)::int`.as('n'))
          .where('campaign_id', '=', campaignId)
          .executeTakeFirstOrThrow()
      ).n;
    // Cut once some pages are written and before all are.
    const atCut = await eventually(async () => {
      const n = await written();
      return n > 0 && n;
    }, 60_000);
    await worker.stop('SIGKILL');
    const cutRuns = (await taskRuns(workflowId)).size;
    expect(atCut).toBeLessThan(branches.length);
    worker = await startWorker();
    await fannedOut(campaignId, 240_000);

    expect(await written()).toBe(branches.length);
    const runs = await eventually(async () => {
      const r = await taskRuns(workflowId);
      return r.size === branches.length && r;
    });
    expect([...runs.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    const ids = new Set(branches.map((b) => campaignTaskWorkflowId(workflowId, b)));
    expect([...runs.keys()].filter((id) => !ids.has(id))).toEqual([]);
    // One first event per task, however often its page ran.
    const opened2 = await sys.db
      .selectFrom('events')
      .select(['process_id', sql<number>`count(*)::int`.as('n')])
      .where('type', '=', 'campaign-task.opened')
      .where('org_id', 'in', branches)
      .groupBy('process_id')
      .execute();
    expect(opened2).toHaveLength(branches.length);
    expect(opened2.filter((e) => e.n !== 1)).toEqual([]);
    console.log(`campaign fan-out: cut at ${atCut}/${branches.length} tasks written (${cutRuns} started), all ${branches.length} after the restart`);
    await worker.stop('SIGKILL');
  });

  it('R22: long activities heartbeat: a fan-out page and the tasks of branches created later report progress as they start tasks', async () => {
    const tree = await seedTree(sys.app);
    await widen(tree, 24);
    const activities = createCampaignActivities({ db: sys.db, client: sys.env.client, config: sys.config });
    const plan = testCampaignPlan({ year: 2033 });
    const ref: CampaignRef = {
      campaignId: randomUUID(),
      // No campaign workflow runs here: the activities are run as a worker would, one at a time.
      workflowId: `heartbeat-test-${randomUUID()}`,
      provinceId: tree.ids.province,
      year: 2033,
      phases: { evaluation: plan.evaluation, registration: plan.registration } as unknown as CampaignRef['phases'],
      timing: { reminderOffsetsMs: [], escalationIntervalMs: 86_400_000 },
    };
    await activities.recordCampaignOpened({ ...ref, provincePath: `${tree.ids.province}/`, excellentCap: null, openedBy: 'test' });
    const beats: unknown[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const city1 = await sys.db.selectFrom('organizations').select(['id', 'path']).where('id', '=', tree.ids.city1).executeTakeFirstOrThrow();
    const page = (await env.run(activities.fanOutPage, {
      campaign: ref,
      partition: city1,
      action: { op: 'open' as const },
      after: null,
      limit: 500,
      concurrency: 3,
    })) as Awaited<ReturnType<typeof activities.fanOutPage>>;
    expect(page.reached).toBeGreaterThan(10);
    // Before the rows are written, after, and every few starts: a lost worker is noticed within the heartbeat timeout.
    expect(beats.length).toBeGreaterThanOrEqual(2 + Math.floor(page.reached / 10));

    const late = `${tree.ids.province}-late`;
    await importOrgs(sys.app, [{ id: late, parentId: tree.ids.county2, name: '新建团支部', kind: 'branch', contactPhone: '020-12345670' }]);
    beats.length = 0;
    const created = await new MockActivityEnvironment()
      .on('heartbeat', (d: unknown) => beats.push(d))
      .run(activities.openBranchTasks, { campaign: ref, branchIds: [late, tree.ids.city2], concurrency: 3 });
    expect(created).toEqual({ branches: 1, reached: 1, existing: 0 });
    expect(beats.length).toBeGreaterThanOrEqual(2);
  });
});
