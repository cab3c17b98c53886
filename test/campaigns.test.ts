// R22 on the real server and database: yearly campaigns from open to close over small trees, each test on its own
// tree (a campaign is one per province and year) with deadlines a few seconds ahead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  activeMember,
  ADMIN_TOKEN,
  call,
  eventually,
  idNumber,
  importOrgs,
  memberActorToken,
  openTestCampaign,
  profile,
  seedTree,
  startSystem,
  testCampaignPlan,
  type System,
  type Tree,
} from './harness';
import { sql } from 'kysely';
import { dueAt } from '../domain/campaign-plan';
import { campaignTaskWorkflowId } from '../domain/workflow-ids';
import { deletionWorkflowId } from '../domain/deletions';
import { registrationRefusalBlock, settleRegistrationsOfLeftMember } from '../db/queries/campaigns';
import { tellCampaignsOfNewBranches } from '../services/campaigns';
import { tellSettledTasks } from '../temporal/campaigns';

let sys: System;

beforeAll(async () => {
  // Reminders 1.5 s before a step's deadline, escalations every second once it has passed.
  sys = await startSystem({ campaign: { reminderOffsetsMs: [1500], escalationIntervalMs: 1000 } });
});
afterAll(async () => {
  await sys?.stop();
});

const day = (offsetDays: number) => new Date(Date.now() + 8 * 3_600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10);
const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

type BranchKey = 'branch1' | 'branch2' | 'branch3';
const REVIEWER: Record<BranchKey, 'school1' | 'county2'> = { branch1: 'school1', branch2: 'school1', branch3: 'county2' };
const SECRETARY: Record<BranchKey, 'sec1' | 'sec2' | 'sec3'> = { branch1: 'sec1', branch2: 'sec2', branch3: 'sec3' };

/** A fresh tree with `n` active members per branch. */
async function treeWithMembers(n: Partial<Record<BranchKey, number>>): Promise<{ tree: Tree; members: Record<BranchKey, string[]> }> {
  const tree = await seedTree(sys.app);
  const members: Record<BranchKey, string[]> = { branch1: [], branch2: [], branch3: [] };
  for (const b of Object.keys(members) as BranchKey[])
    for (let i = 0; i < (n[b] ?? 0); i++) members[b].push(await activeMember(sys.app, tree.ids[b], tree.tokens[SECRETARY[b]]));
  return { tree, members };
}

const task = (campaignId: string, orgId: string) =>
  sys.db.selectFrom('campaign_tasks').selectAll().where('campaign_id', '=', campaignId).where('org_id', '=', orgId).executeTakeFirstOrThrow();

async function atStep(campaignId: string, orgId: string, step: string) {
  return eventually(async () => ((await task(campaignId, orgId)).step === step ? true : undefined), 20_000, `${orgId} at ${step}`);
}

const decide = (processId: string, token: string, body: Record<string, unknown>) => call(sys.app, 'POST', `/api/processes/${processId}/decisions`, token, body);
const putGrades = (c: string, orgId: string, token: string, grades: { memberId: string; grade: string }[], headers: Record<string, string> = {}) =>
  call(sys.app, 'PUT', `/api/campaigns/${c}/branches/${orgId}/grades`, token, { grades }, headers);
const putRegistrations = (c: string, orgId: string, token: string, entries: Record<string, unknown>[]) =>
  call(sys.app, 'PUT', `/api/campaigns/${c}/branches/${orgId}/registrations`, token, { entries });
const progress = (c: string, token: string, orgId?: string) => call(sys.app, 'GET', `/api/campaigns/${c}/progress${orgId ? `?orgId=${orgId}` : ''}`, token);

/** The branch grades everyone 合格, hands in, and the committee above confirms: the task is at registration. */
async function throughEvaluation(
  tree: Tree,
  c: { campaignId: string; tasks: Record<BranchKey, string> },
  b: BranchKey,
  memberIds: string[],
  grade = 'qualified',
) {
  const sec = tree.tokens[SECRETARY[b]];
  expect(
    (
      await putGrades(
        c.campaignId,
        tree.ids[b],
        sec,
        memberIds.map((memberId) => ({ memberId, grade })),
      )
    ).status,
  ).toBe(200);
  expect((await decide(c.tasks[b], sec, { action: 'submit' })).status).toBe(200);
  await atStep(c.campaignId, tree.ids[b], 'evaluation-review');
  expect((await decide(c.tasks[b], tree.tokens[REVIEWER[b]], { action: 'approve' })).status).toBe(200);
  await atStep(c.campaignId, tree.ids[b], 'registration');
}

function expectRefused(r: { status: number; body: any }, status: number, rule: string, field: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.rule).toBe(rule);
  expect(r.body.fields.map((f: { field: string }) => f.field)).toContain(field);
}

const eventsOf = (processId: string) =>
  sys.db.selectFrom('events').select(['type', 'org_id', 'payload']).where('process_id', '=', processId).orderBy('id').execute();

describe('R22 campaigns', () => {
  it('R22: a campaign over a small tree from open to close: the cap on 优秀, a return with a reason, an overdue branch escalated, progress per child, unfinished branches recorded', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 3, branch2: 1, branch3: 1 });
    // The branches' evaluation is due in 5 s; the committees' reviews and the phase end in an hour; half of the
    // branches confirmed is the target in force from the start.
    const plan = testCampaignPlan({
      evaluation: { deadlines: [{ level: 'branch', on: inMs(5000) }], targets: [{ by: day(-1), share: 0.5 }] },
      extra: { excellentCap: 0.34 },
    });
    const c = await openTestCampaign(sys, tree, plan);
    expect(Object.values(c.tasks).every((t) => t !== '')).toBe(true);

    const before = await progress(c.campaignId, tree.tokens.province);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      orgId: tree.ids.province,
      phase: 'evaluation',
      branches: { total: 3, evaluated: 0, confirmed: 0, done: 0, inProgress: 3, unfinished: 0 },
      members: { total: 5, evaluated: 0, registered: 0 },
      evaluation: { share: 0, target: { share: 0.5 }, behind: true },
    });
    const childrenBefore = Object.fromEntries(before.body.children.map((x: any) => [x.orgId, x]));
    expect(Object.keys(childrenBefore).sort()).toEqual([tree.ids.city1, tree.ids.city2].sort());
    expect(childrenBefore[tree.ids.city1]).toMatchObject({ branches: { total: 2 }, members: { total: 4 }, evaluation: { share: 0, behind: true } });
    expect(childrenBefore[tree.ids.city2]).toMatchObject({ branches: { total: 1 }, members: { total: 1 }, evaluation: { share: 0, behind: true } });

    // The cap: 0.34 of 3 graded members is at most one 优秀.
    const [m1, m2, m3] = members.branch1 as [string, string, string];
    const graded = await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, grade: 'excellent' },
      { memberId: m2, grade: 'excellent' },
      { memberId: m3, grade: 'qualified' },
    ]);
    expect(graded.body).toEqual({ evaluated: 3, total: 3 });
    const overCap = await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' });
    expectRefused(overCap, 422, 'R22', 'body.action');
    expect(overCap.body.message).toMatch(/cap/);
    expect((await task(c.campaignId, tree.ids.branch1)).step).toBe('evaluation');
    expect((await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m2, grade: 'qualified' }])).status).toBe(200);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'evaluation-review');
    // In the committee's To do, the task names the branch it is about (it has no member).
    const todo = await call(sys.app, 'GET', '/api/processes?acting=mine', tree.tokens.school1);
    const item = (todo.body.items as { id: string; campaignTask: unknown; actions: string[] }[]).find((i) => i.id === c.tasks.branch1);
    expect(item?.campaignTask).toEqual({ campaignId: c.campaignId, orgId: tree.ids.branch1, orgName: '高一(1)班团支部' });
    expect(item?.actions.sort()).toEqual(['approve', 'return']);

    // The committee above returns it with a reason (none: 400), the branch hands it in again, the committee confirms.
    expect((await decide(c.tasks.branch1, tree.tokens.school1, { action: 'return' })).status).toBe(400);
    expect((await decide(c.tasks.branch1, tree.tokens.school1, { action: 'return', reason: '评议材料不全' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'evaluation');
    const returned = await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/branches/${tree.ids.branch1}`, tree.tokens.sec1);
    expect(returned.body).toMatchObject({ step: 'evaluation', returnedReason: '评议材料不全', excellentCap: 0.34, availableActions: ['submit'] });
    expect(returned.body.members.map((m: any) => m.grade).sort()).toEqual(['excellent', 'qualified', 'qualified']);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'evaluation-review');
    expect((await decide(c.tasks.branch1, tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'registration');

    // branch3 does nothing: past its deadline it is escalated to its committee (county2), again at each interval.
    await eventually(async () => (await eventsOf(c.tasks.branch3)).filter((e) => e.type === 'deadline.escalated').length >= 1, 20_000, "branch3's escalation");
    const escalations = await sys.db
      .selectFrom('notifications')
      .select('recipient_org_id')
      .where('process_id', '=', c.tasks.branch3)
      .where('kind', '=', 'escalation')
      .execute();
    expect(escalations.map((n) => n.recipient_org_id)).toContain(tree.ids.county2);
    expect((await task(c.campaignId, tree.ids.branch3)).overdue).toBe(true);

    const after = await progress(c.campaignId, tree.tokens.province);
    expect(after.body).toMatchObject({ branches: { total: 3, confirmed: 1 }, members: { evaluated: 3 }, evaluation: { share: 1 / 3, behind: true } });
    expect(after.body.branches.overdue).toBeGreaterThanOrEqual(1);
    const childrenAfter = Object.fromEntries(after.body.children.map((x: any) => [x.orgId, x]));
    // city1: one of its two branches confirmed meets the 50 % target; city2 is behind it.
    expect(childrenAfter[tree.ids.city1]).toMatchObject({
      branches: { total: 2, confirmed: 1 },
      members: { evaluated: 3 },
      evaluation: { share: 0.5, behind: false },
    });
    expect(childrenAfter[tree.ids.city2]).toMatchObject({ branches: { total: 1, confirmed: 0, overdue: 1 }, evaluation: { share: 0, behind: true } });

    // branch1 registers everyone and is done.
    expect(
      (
        await putRegistrations(
          c.campaignId,
          tree.ids.branch1,
          tree.tokens.sec1,
          [m1, m2, m3].map((memberId) => ({ memberId, decision: 'registered' })),
        )
      ).body,
    ).toEqual({
      registered: 3,
      deferred: 0,
      refused: 0,
      total: 3,
    });
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'done');
    const registered = await progress(c.campaignId, tree.tokens.city1);
    expect(registered.body).toMatchObject({
      orgId: tree.ids.city1,
      branches: { total: 2, done: 1 },
      members: { total: 4, registered: 3 },
      registration: { share: 0.5 },
    });

    // Closing leaves branch2 and branch3 recorded as unfinished; a second close is refused.
    const closed = await call(sys.app, 'POST', `/api/campaigns/${c.campaignId}/close`, tree.tokens.province, { reason: '年度工作结束' });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body).toEqual({ unfinished: 2 });
    expect((await task(c.campaignId, tree.ids.branch1)).step).toBe('done');
    for (const b of ['branch2', 'branch3'] as const) {
      expect((await task(c.campaignId, tree.ids[b])).step).toBe('unfinished');
      const row = await sys.db.selectFrom('processes').select(['status', 'closed_at']).where('id', '=', c.tasks[b]).executeTakeFirstOrThrow();
      expect(row.status).toBe('lapsed');
      expect(row.closed_at).not.toBeNull();
      expect((await eventsOf(c.tasks[b])).filter((e) => e.type === 'campaign-task.unfinished')).toHaveLength(1);
    }
    const final = await progress(c.campaignId, tree.tokens.province);
    expect(final.body.branches).toMatchObject({ total: 3, done: 1, unfinished: 2, inProgress: 0 });
    const view = await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}`, tree.tokens.city1);
    expect(view.body).toMatchObject({ status: 'closed', tasks: 3, provinceId: tree.ids.province });
    expect((await call(sys.app, 'POST', `/api/campaigns/${c.campaignId}/close`, tree.tokens.province, {})).status).toBe(409);
    expect((await putGrades(c.campaignId, tree.ids.branch2, tree.tokens.sec2, [{ memberId: members.branch2[0]!, grade: 'qualified' }])).status).toBe(409);
  });

  it('R22: 暂缓注册 (deferred, with a reason and a follow-up date) is followed up at the follow-up step, then registered', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 2 });
    const c = await openTestCampaign(sys, tree);
    const [m1, m2] = members.branch1 as [string, string];
    await throughEvaluation(tree, c, 'branch1', [m1, m2]);

    const today = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m2, decision: 'deferred', reason: '长期未参加组织生活', followUpOn: day(0) },
    ]);
    expectRefused(today, 422, 'R22', 'body.entries.0.followUpOn');
    const noDate = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m2, decision: 'deferred', reason: '长期未参加组织生活' },
    ]);
    expect(noDate.status).toBe(400);
    expect(await sys.db.selectFrom('campaign_registrations').select('member_id').where('campaign_id', '=', c.campaignId).execute()).toEqual([]);

    const recorded = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, decision: 'registered' },
      { memberId: m2, decision: 'deferred', reason: '长期未参加组织生活', followUpOn: day(1) },
    ]);
    expect(recorded.body).toEqual({ registered: 1, deferred: 1, refused: 0, total: 2 });
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'follow-up');

    // At the follow-up, only the deferred member is decided again.
    const notDeferred = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, decision: 'refused', reason: '改变主意' }]);
    expectRefused(notDeferred, 422, 'R22', 'body.entries.0.memberId');
    const followed = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m2, decision: 'registered' }]);
    expect(followed.body).toEqual({ registered: 2, deferred: 0, refused: 0, total: 2 });
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'done');
    expect((await task(c.campaignId, tree.ids.branch1)).members_registered).toBe(2);
  });

  it('R22/R14: 不予注册 (refused, with a reason) starts the deletion of the member', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 2 });
    const c = await openTestCampaign(sys, tree);
    const [m1, m2] = members.branch1 as [string, string];
    await throughEvaluation(tree, c, 'branch1', [m1, m2]);
    const noReason = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m2, decision: 'refused' }]);
    expect(noReason.status).toBe(400);
    const recorded = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, decision: 'registered' },
      { memberId: m2, decision: 'refused', reason: '连续六个月不参加组织生活' },
    ]);
    expect(recorded.body).toEqual({ registered: 1, deferred: 0, refused: 1, total: 2 });
    expect(await sys.db.selectFrom('processes').select('id').where('kind', '=', 'deletion').where('member_id', '=', m2).execute()).toEqual([]);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    const deletion = await eventually(
      async () =>
        sys.db.selectFrom('processes').select(['id', 'org_id', 'status']).where('kind', '=', 'deletion').where('member_id', '=', m2).executeTakeFirst(),
      20_000,
      "the refused member's deletion",
    );
    expect(deletion.status).toBe('pending');
    await atStep(c.campaignId, tree.ids.branch1, 'done');
    expect(await sys.db.selectFrom('processes').select('id').where('kind', '=', 'deletion').where('member_id', '=', m1).execute()).toEqual([]);
  });

  it('R22/R19: a member graded 不合格 is registered only with a reason; a member who turns 28 this year is not registered and is not waited for', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 1 });
    const year = new Date().getUTCFullYear();
    const aging = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, { idNumber: idNumber(`${year - 28}1231`), joinDate: `${year - 12}-05-04` });
    const c = await openTestCampaign(sys, tree);
    const m1 = members.branch1[0]!;
    expect((await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, grade: 'unqualified' }])).status).toBe(200);
    await throughEvaluation(tree, c, 'branch1', [aging]);

    const view = await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/branches/${tree.ids.branch1}`, tree.tokens.sec1);
    const byId = Object.fromEntries(view.body.members.map((m: any) => [m.memberId, m]));
    expect(byId[m1]).toMatchObject({ grade: 'unqualified', turns28: false, registration: null });
    expect(byId[aging]).toMatchObject({ turns28: true });
    expect(JSON.stringify(view.body)).not.toMatch(/\d{17}[\dX]/);

    const unreasoned = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, decision: 'registered' }]);
    expectRefused(unreasoned, 422, 'R22', 'body.entries.0.reason');
    const aged = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: aging, decision: 'registered' }]);
    expectRefused(aged, 422, 'R19', 'body.entries.0.decision');
    expect(await sys.db.selectFrom('campaign_registrations').select('member_id').where('campaign_id', '=', c.campaignId).execute()).toEqual([]);

    const reasoned = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, decision: 'registered', reason: '经帮助教育已有明显转变' },
    ]);
    expect(reasoned.body).toMatchObject({ registered: 1, total: 2 });
    const row = await sys.db
      .selectFrom('campaign_registrations')
      .selectAll()
      .where('campaign_id', '=', c.campaignId)
      .where('member_id', '=', m1)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ decision: 'registered', reason: '经帮助教育已有明显转变' });
    // The member who ages out has no entry, and the registration is handed in without one.
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'done');
  });

  it('R22: cadre registration (团干部注册): only current cadres of the organization, required before the branch hands in its registration, counted in progress', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 1 });
    const enter = async (orgId: string, token: string, role: string, post: string) => {
      const r = await call(sys.app, 'POST', `/api/organizations/${orgId}/cadres`, token, {
        name: '王五',
        idNumber: idNumber('19980101'),
        role,
        post,
        termStart: '2025-01-01',
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id as string;
    };
    const former = await enter(tree.ids.branch1, tree.tokens.sec1, 'secretary', '书记');
    expect((await call(sys.app, 'POST', `/api/organizations/${tree.ids.branch1}/cadres/${former}/end`, tree.tokens.sec1, {})).status).toBe(200);
    const secretary = await enter(tree.ids.branch1, tree.tokens.sec1, 'secretary', '书记');
    const committeeMember = await enter(tree.ids.school1, tree.tokens.school1, 'committee_member', '委员');
    const c = await openTestCampaign(sys, tree);
    const m1 = members.branch1[0]!;
    await throughEvaluation(tree, c, 'branch1', [m1]);
    expect((await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, decision: 'registered' }])).status).toBe(200);
    const unregistered = await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' });
    expectRefused(unregistered, 422, 'R22', 'body.action');
    expect(unregistered.body.message).toMatch(/cadre/);

    const putCadres = (orgId: string, token: string, cadreIds: string[]) =>
      call(sys.app, 'PUT', `/api/campaigns/${c.campaignId}/cadres/${orgId}`, token, { cadreIds });
    expectRefused(await putCadres(tree.ids.branch1, tree.tokens.sec1, [former]), 422, 'R22', 'body.cadreIds.0');
    expectRefused(await putCadres(tree.ids.branch1, tree.tokens.sec1, [secretary, committeeMember]), 422, 'R22', 'body.cadreIds.1');
    expect((await putCadres(tree.ids.branch1, tree.tokens.sec2, [secretary])).status).toBe(403);
    expect((await putCadres(tree.ids.branch1, tree.tokens.school1, [secretary])).status).toBe(403);
    expect(await sys.db.selectFrom('campaign_cadres').select('cadre_id').where('campaign_id', '=', c.campaignId).execute()).toEqual([]);

    expect((await putCadres(tree.ids.branch1, tree.tokens.sec1, [secretary])).body).toEqual({ registered: 1, current: 1 });
    expect((await putCadres(tree.ids.branch1, tree.tokens.sec1, [secretary])).body).toEqual({ registered: 1, current: 1 });
    const cadreEvents = await sys.db
      .selectFrom('events')
      .select('id')
      .where('type', '=', 'campaign.cadres-registered')
      .where('org_id', '=', tree.ids.branch1)
      .execute();
    expect(cadreEvents).toHaveLength(1);
    expect((await putCadres(tree.ids.school1, tree.tokens.school1, [committeeMember])).body).toEqual({ registered: 1, current: 1 });

    expect((await progress(c.campaignId, tree.tokens.province)).body.cadres).toEqual({ current: 2, registered: 2 });
    expect((await progress(c.campaignId, tree.tokens.sec1)).body.cadres).toEqual({ current: 1, registered: 1 });
    expect((await progress(c.campaignId, tree.tokens.county2)).body.cadres).toEqual({ current: 0, registered: 0 });
    const view = await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/branches/${tree.ids.branch1}`, tree.tokens.school1);
    expect(view.body.cadres).toEqual([{ cadreId: secretary, name: '王五', post: '书记', registered: true }]);

    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'done');
  });

  it('R22: the province extends a phase for one city: the tasks below it get the later deadline, the others not', async () => {
    const tree = await seedTree(sys.app);
    const c = await openTestCampaign(sys, tree);
    const deadlines = async () =>
      Object.fromEntries(
        (await sys.db.selectFrom('campaign_tasks').select(['org_id', 'deadline']).where('campaign_id', '=', c.campaignId).execute()).map((t) => [
          t.org_id,
          t.deadline.getTime(),
        ]),
      );
    const before = await deadlines();
    // A day: the extension lasts to its end (Asia/Shanghai).
    const until = day(2);
    const untilAt = dueAt(until);
    const extend = (token: string, body: Record<string, unknown>) => call(sys.app, 'POST', `/api/campaigns/${c.campaignId}/extensions`, token, body);

    expectRefused(await extend(tree.tokens.province, { cityId: tree.ids.county1, phase: 'evaluation', until, reason: '台风停课' }), 422, 'R22', 'body.cityId');
    expect((await extend(tree.tokens.city1, { cityId: tree.ids.city1, phase: 'evaluation', until, reason: '台风停课' })).status).toBe(403);
    expect((await extend(tree.tokens.province, { cityId: tree.ids.city1, phase: 'evaluation', until })).status).toBe(400);
    expect(await sys.db.selectFrom('campaign_extensions').select('id').where('campaign_id', '=', c.campaignId).execute()).toEqual([]);

    const extended = await extend(tree.tokens.province, { cityId: tree.ids.city1, phase: 'evaluation', until, reason: '台风停课' });
    expect(extended.status, JSON.stringify(extended.body)).toBe(201);
    expect(extended.body.extensionId).toEqual(expect.any(String));
    await eventually(
      async () => {
        const now = await deadlines();
        return now[tree.ids.branch1] === untilAt && now[tree.ids.branch2] === untilAt ? true : undefined;
      },
      20_000,
      "city1's branches to get the later deadline",
    );
    expect((await deadlines())[tree.ids.branch3]).toBe(before[tree.ids.branch3]);
    const city1 = await progress(c.campaignId, tree.tokens.city1);
    expect(Date.parse(city1.body.evaluation.deadline)).toBe(untilAt);
    const city2 = await progress(c.campaignId, tree.tokens.province, tree.ids.city2);
    expect(Date.parse(city2.body.evaluation.deadline)).toBeLessThan(untilAt);
  });

  it('R22: refusals name the field and the rule and persist nothing', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 1, branch2: 1 });
    const badPlan = testCampaignPlan({ evaluation: { endsOn: '2000-01-01' } });
    const bad = await call(sys.app, 'POST', '/api/campaigns', tree.tokens.province, badPlan);
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field)).toContain('body.evaluation.endsOn');
    expect(await sys.db.selectFrom('campaigns').select('id').where('province_id', '=', tree.ids.province).execute()).toEqual([]);

    const c = await openTestCampaign(sys, tree);
    const again = await call(sys.app, 'POST', '/api/campaigns', tree.tokens.province, testCampaignPlan());
    expect(again.status).toBe(409);
    expect(again.body.rule).toBe('R22');

    const m1 = members.branch1[0]!;
    const other = members.branch2[0]!;
    const gradeEvents = () =>
      sys.db.selectFrom('events').select('id').where('type', '=', 'campaign.grades-recorded').where('org_id', '=', tree.ids.branch1).execute();
    const foreign = await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, grade: 'qualified' },
      { memberId: other, grade: 'excellent' },
    ]);
    expectRefused(foreign, 422, 'R22', 'body.grades.1.memberId');
    const badGrade = await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, grade: '优秀' }]);
    expect(badGrade.status).toBe(400);
    expect(badGrade.body.fields[0].field).toMatch(/^body\.grades\.0\.grade/);
    expect(await sys.db.selectFrom('campaign_grades').select('member_id').where('campaign_id', '=', c.campaignId).execute()).toEqual([]);
    expect(await gradeEvents()).toEqual([]);

    // Handing in with a member ungraded; registering at the evaluation step.
    const ungraded = await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' });
    expectRefused(ungraded, 422, 'R22', 'body.action');
    expect(ungraded.body.message).toMatch(/1 member has no grade/);
    const early = await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, decision: 'registered' }]);
    expect(early.status).toBe(409);
    expect(early.body.rule).toBe('R22');

    // The same request sent twice (Idempotency-Key) is recorded once.
    const key = { 'idempotency-key': `grades-${c.campaignId}` };
    for (let i = 0; i < 2; i++)
      expect((await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, grade: 'basic' }], key)).body).toEqual({
        evaluated: 1,
        total: 1,
      });
    expect(await gradeEvents()).toHaveLength(1);

    // Grades once the evaluation is handed in: 409.
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'evaluation-review');
    const late = await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, grade: 'excellent' }]);
    expect(late.status).toBe(409);
    expect((await sys.db.selectFrom('campaign_grades').select('grade').where('member_id', '=', m1).executeTakeFirstOrThrow()).grade).toBe('basic');
    expect((await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/branches/${tree.ids.school1}`, tree.tokens.school1)).status).toBe(404);
  });

  it('R22: authorization: only the province opens; only its own branch grades; only the committee above confirms; a member reads no progress', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 1 });
    const plan = testCampaignPlan();
    for (const token of [tree.tokens.sec1, tree.tokens.city1, tree.tokens.school1, ADMIN_TOKEN])
      expect((await call(sys.app, 'POST', '/api/campaigns', token, plan)).status).toBe(403);
    expect(await sys.db.selectFrom('campaigns').select('id').where('province_id', '=', tree.ids.province).execute()).toEqual([]);
    const c = await openTestCampaign(sys, tree, plan);
    const m1 = members.branch1[0]!;

    // Another branch, and the committees above, do not grade branch1's members.
    for (const token of [tree.tokens.sec2, tree.tokens.school1, tree.tokens.province])
      expect((await putGrades(c.campaignId, tree.ids.branch1, token, [{ memberId: m1, grade: 'qualified' }])).status).toBe(403);
    expect(await sys.db.selectFrom('campaign_grades').select('member_id').where('campaign_id', '=', c.campaignId).execute()).toEqual([]);
    expect((await decide(c.tasks.branch1, tree.tokens.sec2, { action: 'submit' })).status).toBe(403);
    expect((await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m1, grade: 'qualified' }])).status).toBe(200);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'evaluation-review');

    // A committee not above the branch (county2), one further up (city1), the branch itself: none confirms.
    for (const token of [tree.tokens.county2, tree.tokens.city1, tree.tokens.sec1])
      expect((await decide(c.tasks.branch1, token, { action: 'approve' })).status).toBe(403);
    expect((await task(c.campaignId, tree.ids.branch1)).step).toBe('evaluation-review');
    const review = await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/branches/${tree.ids.branch1}`, tree.tokens.school1);
    expect(review.body.availableActions).toContain('approve');

    // Progress: a member reads none; a branch reads its own, not its committee's; another branch's secretary not branch1's task.
    const member = await memberActorToken(sys.app, m1);
    expect((await progress(c.campaignId, member)).status).toBe(403);
    expect((await progress(c.campaignId, tree.tokens.sec1)).status).toBe(200);
    expect((await progress(c.campaignId, tree.tokens.sec1, tree.ids.school1)).status).toBe(403);
    expect((await progress(c.campaignId, tree.tokens.county2, tree.ids.city1)).status).toBe(403);
    expect((await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/branches/${tree.ids.branch1}`, tree.tokens.sec2)).status).toBe(403);
    expect((await call(sys.app, 'GET', '/api/campaigns', member)).status).toBe(403);
    expect((await call(sys.app, 'GET', '/api/campaigns', tree.tokens.sec3)).body.items.map((x: { id: string }) => x.id)).toEqual([c.campaignId]);

    // Another province neither sees nor closes this campaign; a city does not close it either.
    const otherTree = await seedTree(sys.app);
    expect((await call(sys.app, 'GET', `/api/campaigns/${c.campaignId}`, otherTree.tokens.province)).status).toBe(404);
    expect((await call(sys.app, 'POST', `/api/campaigns/${c.campaignId}/close`, otherTree.tokens.province, {})).status).toBe(404);
    expect((await call(sys.app, 'POST', `/api/campaigns/${c.campaignId}/close`, tree.tokens.city1, {})).status).toBe(403);
    expect((await sys.db.selectFrom('campaigns').select('status').where('id', '=', c.campaignId).executeTakeFirstOrThrow()).status).toBe('open');
  });
});

describe('R22 campaigns hear the tree (issue 19)', () => {
  const campaignRow = (campaignId: string) => sys.db.selectFrom('campaigns').selectAll().where('id', '=', campaignId).executeTakeFirstOrThrow();

  /** R14: the member's deletion applied for by the branch (unless already open) and approved by the city and the province, to its end. */
  async function deleteToTheEnd(tree: Tree, memberId: string, processId?: string) {
    let id = processId;
    if (!id) {
      const applied = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId, category: 'left', reason: '已迁往外省' });
      expect(applied.status, JSON.stringify(applied.body)).toBe(201);
      id = applied.body.processId as string;
    }
    for (const token of [tree.tokens.city1, tree.tokens.province]) expect((await decide(id, token, { action: 'approve' })).status).toBe(200);
    await sys.env.client.workflow.getHandle(deletionWorkflowId(memberId)).result();
    expect((await sys.db.selectFrom('members').select('status').where('id', '=', memberId).executeTakeFirstOrThrow()).status).toBe('deleted');
  }

  it('R22: a branch imported while the campaign is open gets its task with the phase deadlines, is counted in progress and rollups, and is started once', async () => {
    const tree = await seedTree(sys.app);
    const c = await openTestCampaign(sys, tree, testCampaignPlan({ evaluation: { deadlines: [{ level: 'branch', on: inMs(1_800_000) }] } }));
    const late = `${tree.ids.province}-late`;
    await importOrgs(sys.app, [{ id: late, parentId: tree.ids.school1, name: '高一(3)班团支部', kind: 'branch', contactPhone: '0755-12345670' }]);

    const row = await eventually(
      async () => sys.db.selectFrom('campaign_tasks').selectAll().where('campaign_id', '=', c.campaignId).where('org_id', '=', late).executeTakeFirst(),
      20_000,
      "the late branch's task",
    );
    // The phase's deadline for a branch, the same as the branches of the fan-out; reviewed by the nearest committee.
    expect(row.deadline.getTime()).toBe((await task(c.campaignId, tree.ids.branch1)).deadline.getTime());
    expect(row).toMatchObject({ step: 'evaluation', reviewer_id: tree.ids.school1 });
    const { workflow_id } = await campaignRow(c.campaignId);
    const handle = sys.env.client.workflow.getHandle(campaignTaskWorkflowId(workflow_id, late));
    const first = await eventually(
      async () => {
        const d = await handle.describe().catch(() => undefined);
        return d?.status.name === 'RUNNING' ? d : undefined;
      },
      20_000,
      "the late branch's task workflow",
    );

    const p = await progress(c.campaignId, tree.tokens.province);
    expect(p.body.branches).toMatchObject({ total: 4, inProgress: 4 });
    const city1 = Object.fromEntries(p.body.children.map((x: any) => [x.orgId, x]))[tree.ids.city1];
    expect(city1.branches.total).toBe(3);
    const schoolPath = (await sys.db.selectFrom('organizations').select('path').where('id', '=', tree.ids.school1).executeTakeFirstOrThrow()).path;
    const rollup = await sys.db
      .selectFrom('campaign_rollups')
      .select(['total', 'in_progress'])
      .where('campaign_id', '=', c.campaignId)
      .where('parent_path', '=', schoolPath)
      .executeTakeFirstOrThrow();
    expect(rollup).toEqual({ total: 3, in_progress: 3 });
    await eventually(async () => ((await campaignRow(c.campaignId)).tasks === 4 ? true : undefined), 20_000, 'the campaign to count 4 tasks');

    // Told again (a retried import, a repeated call): nothing is started or written twice.
    await tellCampaignsOfNewBranches({ db: sys.db, client: sys.env.client }, [late, tree.ids.branch1]);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await handle.describe()).runId).toBe(first.runId);
    const opened = await sys.db.selectFrom('events').select('id').where('process_id', '=', row.process_id).where('type', '=', 'campaign-task.opened').execute();
    expect(opened).toHaveLength(1);
    expect(await sys.db.selectFrom('campaign_tasks').select('org_id').where('campaign_id', '=', c.campaignId).execute()).toHaveLength(4);

    // The late branch goes through the evaluation like any other.
    const sec = await call(sys.app, 'POST', '/api/actors', ADMIN_TOKEN, { role: 'branch_secretary', orgId: late, label: 'late secretary' });
    expect((await decide(row.process_id, sec.body.token, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, late, 'evaluation-review');
  });

  it('R22/R25: a deferred (暂缓注册) member who left is settled: the task at its follow-up moves on without waiting for them', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 2 });
    const c = await openTestCampaign(sys, tree);
    const [m1, m2] = members.branch1 as [string, string];
    await throughEvaluation(tree, c, 'branch1', [m1, m2]);
    await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, decision: 'registered' },
      { memberId: m2, decision: 'deferred', reason: '长期未参加组织生活', followUpOn: day(1) },
    ]);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'follow-up');

    await deleteToTheEnd(tree, m2);
    // As the member-state writer does when a member leaves: in its transaction, then told once committed.
    for (let i = 0; i < 2; i++) await sys.db.transaction().execute((tx) => settleRegistrationsOfLeftMember(tx, m2, new Date(), 'deleted'));
    await tellSettledTasks({ db: sys.db, client: sys.env.client }, m2);
    await atStep(c.campaignId, tree.ids.branch1, 'done');
    const settled = await sys.db
      .selectFrom('events')
      .select('process_id')
      .where('type', '=', 'campaign.registration-settled')
      .where('member_id', '=', m2)
      .execute();
    expect(settled).toEqual([{ process_id: c.tasks.branch1 }]);
    expect(await task(c.campaignId, tree.ids.branch1)).toMatchObject({ members_total: 1, members_registered: 1 });
    const types = (await eventsOf(c.tasks.branch1)).map((e) => e.type);
    expect(types.filter((t) => t === 'campaign-task.deferred')).toHaveLength(1);
    expect(types).toContain('campaign-task.registered');
  });

  it('R22: a grade raised at the moment of the hand-in (its write holding the task lock) is counted where the hand-in is decided: the 优秀 cap is never passed', async () => {
    const { tree, members } = await treeWithMembers({ branch1: 3 });
    const c = await openTestCampaign(sys, tree, testCampaignPlan({ extra: { excellentCap: 0.34 } }));
    const [m1, m2, m3] = members.branch1 as [string, string, string];
    const graded = await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, grade: 'excellent' },
      { memberId: m2, grade: 'qualified' },
      { memberId: m3, grade: 'qualified' },
    ]);
    expect(graded.status).toBe(200);

    // A grade write as api/campaigns.ts makes it (the task's row locked, the grade upserted), not yet committed when
    // the branch hands in: the hand-in's check (before the submit is sent) sees one 优秀 of three.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const raise = sys.db.transaction().execute(async (tx) => {
      await tx.selectFrom('campaign_tasks').select('step').where('campaign_id', '=', c.campaignId).where('org_id', '=', tree.ids.branch1).forUpdate().execute();
      await tx
        .updateTable('campaign_grades')
        .set({ grade: 'excellent', recorded_at: new Date() })
        .where('campaign_id', '=', c.campaignId)
        .where('member_id', '=', m2)
        .execute();
      locked();
      await released;
    });
    await isLocked;
    let settled = false;
    const submit = decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' }).finally(() => (settled = true));
    await eventually(
      async () => {
        if (settled) return true;
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_locks where not granted`.execute(sys.db);
        return rows[0]!.n > 0 ? true : undefined;
      },
      20_000,
      'the hand-in to wait for the grade write',
    );
    release();
    await raise;
    const handIn = await submit;
    expect(handIn.status, JSON.stringify(handIn.body)).toBe(422);
    expect(handIn.body.rule).toBe('R22');
    expect(handIn.body.message).toMatch(/cap/);
    await new Promise((r) => setTimeout(r, 500));
    expect((await task(c.campaignId, tree.ids.branch1)).step).toBe('evaluation');
    expect(
      await sys.db.selectFrom('events').select('id').where('process_id', '=', c.tasks.branch1).where('type', '=', 'campaign-task.evaluated').execute(),
    ).toEqual([]);

    // Still the branch's to hand in: within the cap, it goes through.
    expect((await putGrades(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [{ memberId: m2, grade: 'qualified' }])).status).toBe(200);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    await atStep(c.campaignId, tree.ids.branch1, 'evaluation-review');
  });

  it('R22: a member refused registration (不予注册) is deleted under its own category; no branch checks them in again until the province consents', async () => {
    const tree = await seedTree(sys.app);
    const m1 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const prof = profile();
    const m2 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1, prof);
    const c = await openTestCampaign(sys, tree);
    await throughEvaluation(tree, c, 'branch1', [m1, m2]);
    await putRegistrations(c.campaignId, tree.ids.branch1, tree.tokens.sec1, [
      { memberId: m1, decision: 'registered' },
      { memberId: m2, decision: 'refused', reason: '连续六个月不参加组织生活' },
    ]);
    expect((await decide(c.tasks.branch1, tree.tokens.sec1, { action: 'submit' })).status).toBe(200);
    const deletion = await eventually(
      async () => sys.db.selectFrom('deletions').select(['process_id', 'category']).where('member_id', '=', m2).executeTakeFirst(),
      20_000,
      "the refused member's deletion",
    );
    expect(deletion.category).toBe('registration-refused');
    // The category is the campaign's: a branch does not apply with it.
    const byHand = await call(sys.app, 'POST', '/api/deletions', tree.tokens.sec1, { memberId: m1, category: 'registration-refused', reason: '不予注册' });
    expect(byHand.status).toBe(400);
    expect(await registrationRefusalBlock(sys.db, m2)).toBeNull();
    await deleteToTheEnd(tree, m2, deletion.process_id);
    expect(await registrationRefusalBlock(sys.db, m2)).toMatchObject({ rule: 'R22', message: expect.stringMatching(/不予注册/) });

    // Another branch checks them in the next day: refused, naming R22 (the lead wires the block into the check-in admission).
    const again = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec3, { branchId: tree.ids.branch3, profile: prof });
    expect(again.status, JSON.stringify(again.body)).toBe(422);
    expect(again.body.rule).toBe('R22');

    const consent = (token: string, body: Record<string, unknown> = { reason: '经团省委研究同意重新报到' }) =>
      call(sys.app, 'POST', `/api/campaigns/${c.campaignId}/refusals/${m2}/consent`, token, body);
    for (const token of [tree.tokens.sec1, tree.tokens.school1, tree.tokens.city1]) expect((await consent(token)).status).toBe(403);
    expect((await consent(tree.tokens.province, {})).status).toBe(400);
    expect(await sys.db.selectFrom('registration_refusal_consents').select('member_id').where('member_id', '=', m2).execute()).toEqual([]);
    const given = await consent(tree.tokens.province);
    expect(given.status, JSON.stringify(given.body)).toBe(201);
    expect(given.body).toEqual({ deletionProcessId: deletion.process_id });
    expect((await consent(tree.tokens.province)).status).toBe(404);
    expect(await registrationRefusalBlock(sys.db, m2)).toBeNull();
    expect(await sys.db.selectFrom('events').select('id').where('type', '=', 'campaign.refusal-consented').where('member_id', '=', m2).execute()).toHaveLength(
      1,
    );
    const consented = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec3, { branchId: tree.ids.branch3, profile: prof });
    expect(consented.status, JSON.stringify(consented.body)).toBe(201);
  });
});
