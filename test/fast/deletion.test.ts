// R14-R15, fast: the deletion's step table (workflows/deletion.ts `deletionProcess`) on the real workflow, its
// writes stubbed: the path through the steps, who acts and decides at each, the refusals, and each step visit's
// own deadline (R3). The durations are the real ones (days); the time-skipping test server makes them instant.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { DeletionInput } from '../../domain/deletions';
import type { OrgRef } from '../../domain/orgs';
import { deletion } from '../../workflows/deletion';
import { DAY, fastEnv } from './env';
import { dayAt, dayOf, deadlineEvents, decide, eventsOf, refusal, startProcess, stateOf, writesOf } from './processes';

const t = fastEnv({
  workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
  activities: ['recordDeletionApplied', 'recordProcessEvent', 'watchDeletionAbuse'],
  respond: { watchDeletionAbuse: () => ({ flagged: [] }) },
});

const PROVINCE: OrgRef = { id: 'org-gd', path: '/org-gd', parentId: null, kind: 'committee' };
const CITY: OrgRef = { id: 'org-sz', path: '/org-gd/org-sz', parentId: PROVINCE.id, kind: 'committee' };
const SCHOOL: OrgRef = { id: 'org-sch', path: '/org-gd/org-sz/org-sch', parentId: CITY.id, kind: 'committee' };
const BRANCH: OrgRef = { id: 'org-b1', path: '/org-gd/org-sz/org-sch/org-b1', parentId: SCHOOL.id, kind: 'branch' };

/** R3's defaults on every step: 10 days; reminders 3 days and 1 day before; escalation daily while overdue. */
const TEN_DAYS = { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: DAY };

const CITY_ADMIN = { actorId: 'actor-city', actorRole: 'committee_admin' };
const PROVINCE_ADMIN = { actorId: 'actor-province', actorRole: 'province_admin' };
const SECRETARY = { actorId: 'actor-sec', actorRole: 'branch_secretary' };

type Handle = WorkflowHandle<Workflow>;

async function applied(): Promise<{ h: Handle; pid: string; deadline: string; startedAt: number }> {
  const input: DeletionInput = {
    processId: randomUUID(),
    memberId: randomUUID(),
    category: 'left',
    reason: 'moved abroad for good',
    appliedBy: SECRETARY.actorId,
    branch: BRANCH,
    city: CITY,
    province: PROVINCE,
    graduate: false,
    timing: { cityReview: TEN_DAYS, provinceReview: TEN_DAYS, branchRecheck: TEN_DAYS },
  };
  const { h, recorded, startedAt } = await startProcess(t, deletion, input, TEN_DAYS.deadlineMs);
  expect(recorded).toMatchObject({ processId: input.processId, step: 'city-review' });
  return { h, pid: input.processId, deadline: recorded.deadline, startedAt };
}

/** Decides, and answers the step the `state` query reports after it. */
async function stepAfter(h: Handle, cmd: Parameters<typeof decide>[1]): Promise<string> {
  await decide(h, cmd);
  return (await stateOf(h)).step;
}

const sleepDays = (days: number) => t.env.sleep(days * DAY);

describe('deletion (R14-R15): the step table', () => {
  test('R15: the province returns an application still at the city (its bulk return takes every pending one): back to the branch, to be filed again', async () => {
    const { h } = await applied();
    expect(await stepAfter(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'all pending applications are re-checked', step: 'city-review' })).toBe(
      'branch-recheck',
    );
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      type: 'deletion.returned',
      orgId: CITY.id,
      actorId: PROVINCE_ADMIN.actorId,
      payload: { step: 'city-review', reason: 'all pending applications are re-checked' },
      patch: { step: 'branch-recheck', org: { id: BRANCH.id } },
    });
    expect(await stepAfter(h, { action: 'approve', ...SECRETARY })).toBe('city-review');
  });

  test('R14: only the province approves: the city forwards, the province decides; a return goes back to the branch', async () => {
    const { h, pid, deadline } = await applied();
    const [first] = t.callsOf(h.workflowId, 'recordDeletionApplied');
    expect((first?.input as { patch: unknown }).patch).toEqual({ step: 'city-review', org: { id: CITY.id, path: CITY.path }, deadline });

    expect(await stepAfter(h, { action: 'approve', ...CITY_ADMIN })).toBe('province-review');
    expect(await stepAfter(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'the reason is incomplete' })).toBe('branch-recheck');
    expect(await stepAfter(h, { action: 'approve', ...SECRETARY })).toBe('city-review');
    expect(await stepAfter(h, { action: 'approve', ...CITY_ADMIN })).toBe('province-review');
    expect(await stepAfter(h, { action: 'approve', ...PROVINCE_ADMIN })).toBe('closed');
    expect(await h.result()).toEqual({ processId: pid, status: 'approved' });

    const events = eventsOf(t, h);
    expect(events.map((e) => [e.type, e.orgId, e.actorId, e.kind, e.outcome])).toEqual([
      ['deletion.forwarded', CITY.id, CITY_ADMIN.actorId, 'deletion', undefined],
      ['deletion.returned', PROVINCE.id, PROVINCE_ADMIN.actorId, 'deletion', undefined],
      ['deletion.refiled', BRANCH.id, SECRETARY.actorId, 'deletion', undefined],
      ['deletion.forwarded', CITY.id, CITY_ADMIN.actorId, 'deletion', undefined],
      ['deletion.approved', PROVINCE.id, PROVINCE_ADMIN.actorId, 'deletion', 'approved'],
    ]);
    // Each move hands the process to the next acting organization, with a task notice to it.
    expect(events.map((e) => [e.patch?.step, e.patch?.org?.id, e.notify?.map((n) => n.recipientOrgId)])).toEqual([
      ['province-review', PROVINCE.id, [PROVINCE.id]],
      ['branch-recheck', BRANCH.id, [BRANCH.id]],
      ['city-review', CITY.id, [CITY.id]],
      ['province-review', PROVINCE.id, [PROVINCE.id]],
      // Closed: the deletion belongs to the member's branch again.
      ['closed', BRANCH.id, undefined],
    ]);
    expect(events[1]!.payload).toEqual({ reason: 'the reason is incomplete', step: 'province-review' });
    expect(events[4]).toMatchObject({
      key: `${pid}:5:deletion.approved`,
      patch: { status: 'approved', closed: true },
      notifyMember: expect.stringMatching(/approved/),
    });
    // R17: an approved deletion is weighed against the graduates' share; new runs append through the one event append.
    expect(t.callsOf(h.workflowId, 'watchDeletionAbuse').map((c) => c.input)).toEqual([{ processId: pid, branchPath: BRANCH.path }]);
    expect(new Set(t.callsOf(h.workflowId).map((c) => c.activity))).toEqual(new Set(['recordDeletionApplied', 'recordProcessEvent', 'watchDeletionAbuse']));
    // ...once the approval is written: the watch counts it (it ran before it when the decision's write waited for
    // its acceptance to be recorded while the workflow already went on).
    expect(writesOf(t, h).slice(-2)).toEqual(['deletion.approved', 'watchDeletionAbuse']);
  });

  test('R14/R15: the province rejects with a reason, and the branch withdraws an application returned to it; neither is weighed by R17', async () => {
    const rejected = await applied();
    await decide(rejected.h, { action: 'approve', ...CITY_ADMIN });
    expect(await stepAfter(rejected.h, { action: 'reject', ...PROVINCE_ADMIN, reason: 'the member is still active' })).toBe('closed');
    expect(await rejected.h.result()).toEqual({ processId: rejected.pid, status: 'rejected' });
    expect(eventsOf(t, rejected.h).map((e) => [e.type, e.orgId, e.outcome, e.payload])).toEqual([
      ['deletion.forwarded', CITY.id, undefined, {}],
      ['deletion.rejected', PROVINCE.id, 'rejected', { reason: 'the member is still active', step: 'province-review' }],
    ]);

    const withdrawn = await applied();
    expect(await stepAfter(withdrawn.h, { action: 'return', ...CITY_ADMIN, reason: 'add the reason in full' })).toBe('branch-recheck');
    expect(await stepAfter(withdrawn.h, { action: 'withdraw', ...SECRETARY })).toBe('closed');
    expect(await withdrawn.h.result()).toEqual({ processId: withdrawn.pid, status: 'withdrawn' });
    expect(eventsOf(t, withdrawn.h).map((e) => [e.type, e.orgId, e.kind, e.outcome])).toEqual([
      ['deletion.returned', CITY.id, 'deletion', undefined],
      ['deletion.withdrawn', BRANCH.id, 'deletion', 'withdrawn'],
    ]);
    expect([...t.callsOf(rejected.h.workflowId, 'watchDeletionAbuse'), ...t.callsOf(withdrawn.h.workflowId, 'watchDeletionAbuse')]).toEqual([]);
  });

  test('R14/R15: each step refuses what it does not take (R14), the wrong role (forbidden) and a missing reason; a step moved on from is a conflict; refused decisions write nothing', async () => {
    const { h } = await applied();
    const written = () => writesOf(t, h).length;
    const before = written();

    // The city's verification: the city admin forwards or returns; it neither rejects nor withdraws.
    expect(await refusal(decide(h, { action: 'reject', ...CITY_ADMIN, reason: 'no' }))).toMatchObject({
      kind: 'rule',
      rule: 'R14',
      message: '"reject" is not possible at the step "city-review"',
    });
    expect(await refusal(decide(h, { action: 'withdraw', ...SECRETARY }))).toMatchObject({ kind: 'rule', rule: 'R14' });
    expect(await refusal(decide(h, { action: 'approve', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'forbidden', rule: 'R14' });
    expect(await refusal(decide(h, { action: 'approve', ...SECRETARY }))).toMatchObject({ kind: 'forbidden', rule: 'R14' });
    expect(await refusal(decide(h, { action: 'return', ...CITY_ADMIN }))).toMatchObject({ kind: 'rule', rule: 'R15', message: '"return" needs a reason' });
    expect(written()).toBe(before);

    // The province's decision: only a province admin approves, rejects (with a reason) or returns (with a reason).
    await decide(h, { action: 'approve', ...CITY_ADMIN, step: 'city-review' });
    const forwarded = written();
    expect(await refusal(decide(h, { action: 'approve', ...CITY_ADMIN }))).toMatchObject({
      kind: 'forbidden',
      rule: 'R14',
      message: 'the step "province-review" is decided by province_admin',
    });
    expect(await refusal(decide(h, { action: 'reject', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'rule', rule: 'R14', message: '"reject" needs a reason' });
    expect(await refusal(decide(h, { action: 'return', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'rule', rule: 'R15' });
    expect(await refusal(decide(h, { action: 'withdraw', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'rule', rule: 'R14' });
    // The city's approval of the step it saw, now that the process has moved on.
    expect(await refusal(decide(h, { action: 'approve', ...CITY_ADMIN, step: 'city-review' }))).toMatchObject({ kind: 'conflict', rule: 'R14' });
    expect(written()).toBe(forwarded);

    // The branch's re-check: the branch secretary files again or withdraws; nobody rejects there.
    await decide(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'wrong category', step: 'province-review' });
    const returned = written();
    expect(await refusal(decide(h, { action: 'approve', ...CITY_ADMIN }))).toMatchObject({ kind: 'forbidden', rule: 'R15' });
    expect(await refusal(decide(h, { action: 'withdraw', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'forbidden', rule: 'R15' });
    expect(await refusal(decide(h, { action: 'reject', ...SECRETARY, reason: 'no' }))).toMatchObject({ kind: 'rule', rule: 'R14' });
    expect(await refusal(decide(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'again', step: 'province-review' }))).toMatchObject({
      kind: 'conflict',
      rule: 'R14',
    });
    expect(written()).toBe(returned);

    await decide(h, { action: 'withdraw', ...SECRETARY });
    expect(await h.result()).toMatchObject({ status: 'withdrawn' });
    expect(eventsOf(t, h).map((e) => e.type)).toEqual(['deletion.forwarded', 'deletion.returned', 'deletion.withdrawn']);
  });

  test("R14: a waiting step is reminded and escalated to the acting organization's parent", async () => {
    const { h, pid, startedAt } = await applied();
    await sleepDays(12.5);
    expect(writesOf(t, h)).toEqual([
      'recordDeletionApplied',
      'deadline.reminder',
      'deadline.reminder',
      'deadline.overdue',
      'deadline.escalated',
      'deadline.escalated',
    ]);
    const first = deadlineEvents(t, h, startedAt);
    expect(first.map((e) => [e.key, e.orgId, e.day])).toEqual([
      [`${pid}:city-review:0:reminder:0:0`, CITY.id, 7],
      [`${pid}:city-review:0:reminder:0:1`, CITY.id, 9],
      [`${pid}:city-review:0:overdue:0`, CITY.id, 10],
      [`${pid}:city-review:0:escalation:2`, CITY.id, 11],
      [`${pid}:city-review:0:escalation:3`, CITY.id, 12],
    ]);
    const notices = first.flatMap((e) => e.notify ?? []);
    // Reminders go to the city, the acting organization; escalations to the city and to its parent, the province.
    expect(notices.filter((n) => n.kind === 'reminder').map((n) => n.recipientOrgId)).toEqual([CITY.id, CITY.id]);
    expect(notices.filter((n) => n.kind === 'escalation').map((n) => n.recipientOrgId)).toEqual([
      CITY.id,
      PROVINCE.id,
      CITY.id,
      PROVINCE.id,
      CITY.id,
      PROVINCE.id,
    ]);
    expect(first.slice(2).map((e) => e.payload?.escalatedTo)).toEqual([PROVINCE.id, PROVINCE.id, PROVINCE.id]);
    expect(first[2]!.patch).toEqual({ overdue: true });
    expect(await stateOf(h)).toMatchObject({ step: 'city-review', overdue: true, remindersSent: 2, escalations: 3 });

    // The province extends it: no longer overdue.
    const until = dayAt(startedAt, 20);
    expect(await decide(h, { action: 'extend', ...PROVINCE_ADMIN, until, reason: 'yearly count' })).toEqual({ status: 'pending', deadline: until });
    expect(await stateOf(h)).toMatchObject({ step: 'city-review', overdue: false });
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      key: `${pid}:city-review:0:extended:1`,
      type: 'deadline.extended',
      orgId: CITY.id,
      patch: { deadline: until, overdue: false },
    });

    // Returned and filed again: the city's step starts over with a deadline, reminders and escalation of its own
    // (day 22.5); the extended deadline of its first visit (day 20) is gone with that visit.
    await decide(h, { action: 'return', ...CITY_ADMIN, reason: 'add the reason in full' });
    await decide(h, { action: 'approve', ...SECRETARY });
    await sleepDays(10.25); // day 22.75
    expect(
      deadlineEvents(t, h, startedAt)
        .slice(first.length)
        .map((e) => [e.key, e.orgId, e.day]),
    ).toEqual([
      [`${pid}:city-review:2:reminder:0:0`, CITY.id, 19.5],
      [`${pid}:city-review:2:reminder:0:1`, CITY.id, 21.5],
      [`${pid}:city-review:2:overdue:0`, CITY.id, 22.5],
    ]);
    expect(writesOf(t, h).slice(7)).toEqual(['deletion.returned', 'deletion.refiled', 'deadline.reminder', 'deadline.reminder', 'deadline.overdue']);
    expect(await stateOf(h)).toMatchObject({ step: 'city-review', overdue: true });

    await decide(h, { action: 'approve', ...CITY_ADMIN });
    expect(await stateOf(h)).toMatchObject({ step: 'province-review', overdue: false });
    expect(eventsOf(t, h).at(-1)).toMatchObject({ type: 'deletion.forwarded', patch: { step: 'province-review', org: { id: PROVINCE.id }, overdue: false } });
    await decide(h, { action: 'reject', ...PROVINCE_ADMIN, reason: 'done with' });
    await h.result();
  });

  test("R3/R14: an extension moves only the current step's deadline; the next step starts its own, escalated to nobody above the province", async () => {
    const { h, pid, startedAt } = await applied();
    await sleepDays(1);
    const until = dayAt(startedAt, 15);
    await decide(h, { action: 'extend', ...PROVINCE_ADMIN, until, reason: 'yearly count' });
    await sleepDays(1);
    // The province's own 10 days from now (day 12), not the city's extended day 15.
    const { deadline } = await decide(h, { action: 'approve', ...CITY_ADMIN });
    expect(dayOf(deadline, startedAt)).toBe(12);
    await sleepDays(10.5); // day 12.5
    const events = deadlineEvents(t, h, startedAt);
    expect(events.map((e) => [e.key, e.orgId, e.day])).toEqual([
      [`${pid}:province-review:1:reminder:0:0`, PROVINCE.id, 9],
      [`${pid}:province-review:1:reminder:0:1`, PROVINCE.id, 11],
      [`${pid}:province-review:1:overdue:0`, PROVINCE.id, 12],
    ]);
    // The province has no parent: the overdue step is escalated to itself only.
    expect(events[2]).toMatchObject({ payload: { escalatedTo: null }, notify: [{ recipientOrgId: PROVINCE.id, kind: 'escalation' }] });
    await decide(h, { action: 'approve', ...PROVINCE_ADMIN });
    expect(await h.result()).toMatchObject({ status: 'approved' });
  });
});
