// R5 and R7, fast: the step tables of the reviewed change of member data (workflows/member-change.ts) and the
// join-date correction (workflows/join-date.ts) on the real workflows, their writes stubbed: who decides at each
// step, the outcomes and what their closing events carry, the refusals, and the deadline (R3's defaults).
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { JoinDateInput, MemberChangeInput } from '../../domain/member-data';
import type { OrgRef } from '../../domain/orgs';
import { memberChange } from '../../workflows/member-change';
import { joinDate } from '../../workflows/join-date';
import { DAY, fastEnv } from './env';
import { deadlineEvents, decide, eventsOf, refusal, startProcess, stateOf, writesOf } from './processes';

const t = fastEnv({
  workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
  activities: ['recordMemberChangeRequested', 'recordJoinDateRequested', 'recordProcessEvent'],
});

const PROVINCE: OrgRef = { id: 'org-gd', path: 'org-gd/', parentId: null, kind: 'committee' };
const SCHOOL: OrgRef = { id: 'org-sch', path: 'org-gd/org-sz/org-sch/', parentId: 'org-sz', kind: 'committee' };
const BRANCH: OrgRef = { id: 'org-b1', path: 'org-gd/org-sz/org-sch/org-b1/', parentId: SCHOOL.id, kind: 'branch' };

/** R3's defaults: 10 days; reminders 3 days and 1 day before; escalation daily while overdue. */
const TEN_DAYS = { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: DAY };

const SECRETARY = { actorId: 'actor-sec', actorRole: 'branch_secretary' };
const MEMBER = { actorId: 'actor-member', actorRole: 'member' };
const PROVINCE_ADMIN = { actorId: 'actor-province', actorRole: 'province_admin' };

async function changeRequested() {
  const input: MemberChangeInput = {
    processId: randomUUID(),
    memberId: randomUUID(),
    branch: BRANCH,
    requestedBy: MEMBER.actorId,
    fields: { politicalStatus: '中共预备党员', isCadre: true },
    previous: { politicalStatus: '共青团员', isCadre: null },
    timing: TEN_DAYS,
  };
  const started = await startProcess(t, memberChange, input, TEN_DAYS.deadlineMs);
  expect(started.recorded).toMatchObject({ processId: input.processId, step: 'branch-review' });
  return { ...started, input };
}

async function joinDateRequested(route: JoinDateInput['route']) {
  const input: JoinDateInput = {
    processId: randomUUID(),
    memberId: randomUUID(),
    route,
    branch: BRANCH,
    province: PROVINCE,
    requestedBy: route === 'window' ? MEMBER.actorId : 'actor-city',
    joinDate: '2016-09-01',
    previous: '2016-05-04',
    ...(route === 'formal' ? { reason: '档案记载有误' } : {}),
    timing: { branchReview: TEN_DAYS, provinceReview: TEN_DAYS },
  };
  const started = await startProcess(t, joinDate, input, TEN_DAYS.deadlineMs);
  return { ...started, input };
}

describe('member change (R5): the step table', () => {
  test("R5: one step, the branch's review: approval closes it with the changes (old and new values), a return needs a reason, the member withdraws", async () => {
    const approved = await changeRequested();
    expect(writesOf(t, approved.h)).toEqual(['recordMemberChangeRequested']);
    expect(await decide(approved.h, { action: 'approve', ...SECRETARY, step: 'branch-review' })).toMatchObject({ status: 'approved' });
    const [closing] = eventsOf(t, approved.h);
    expect(closing).toMatchObject({
      type: 'member-change.approved',
      kind: 'member-change',
      outcome: 'approved',
      orgId: BRANCH.id,
      payload: {
        changes: [
          { field: 'politicalStatus', from: '共青团员', to: '中共预备党员' },
          { field: 'isCadre', from: null, to: true },
        ],
      },
      patch: { status: 'approved', closed: true },
    });
    expect(await approved.h.result()).toEqual({ processId: approved.input.processId, status: 'approved' });

    const returned = await changeRequested();
    expect(await refusal(decide(returned.h, { action: 'reject', ...SECRETARY, reason: 'no' }))).toMatchObject({ kind: 'rule', rule: 'R5' });
    expect(await refusal(decide(returned.h, { action: 'return', ...SECRETARY }))).toMatchObject({ kind: 'rule', rule: 'R5' });
    await decide(returned.h, { action: 'return', ...SECRETARY, reason: '请提供证明' });
    expect(eventsOf(t, returned.h)[0]).toMatchObject({ type: 'member-change.returned', outcome: 'returned', payload: { reason: '请提供证明' } });
    expect(eventsOf(t, returned.h)[0]?.payload).not.toHaveProperty('changes');

    const withdrawn = await changeRequested();
    await decide(withdrawn.h, { action: 'withdraw', ...MEMBER });
    expect(await stateOf(withdrawn.h)).toMatchObject({ status: 'withdrawn', step: 'closed' });
    expect(await withdrawn.h.result()).toEqual({ processId: withdrawn.input.processId, status: 'withdrawn' });
  });

  test('R5/R3: an undecided change is reminded 3 days and 1 day before its 10-day deadline, then escalated daily', async () => {
    const { h, startedAt } = await changeRequested();
    await t.env.sleep(12.5 * DAY);
    const watch = deadlineEvents(t, h, startedAt);
    expect(watch.map((e) => [e.type, e.day])).toEqual([
      ['deadline.reminder', 7],
      ['deadline.reminder', 9],
      ['deadline.overdue', 10],
      ['deadline.escalated', 11],
      ['deadline.escalated', 12],
    ]);
    expect(watch[2]?.payload).toMatchObject({ escalatedTo: SCHOOL.id });
    await decide(h, { action: 'approve', ...SECRETARY });
    expect((await stateOf(h)).status).toBe('approved');
  });
});

describe('join-date correction (R7): the step table', () => {
  test('R7: a request in the window is reviewed by the branch; approval carries both dates; the province may not decide it; the member withdraws', async () => {
    const { h, recorded } = await joinDateRequested('window');
    expect(recorded.step).toBe('branch-review');
    expect(await refusal(decide(h, { action: 'approve', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'forbidden', rule: 'R7' });
    expect(await refusal(decide(h, { action: 'reject', ...SECRETARY, reason: 'no' }))).toMatchObject({ kind: 'rule', rule: 'R7' });
    expect(await refusal(decide(h, { action: 'withdraw', ...SECRETARY }))).toMatchObject({ kind: 'forbidden' });
    expect(eventsOf(t, h)).toEqual([]);
    await decide(h, { action: 'approve', ...SECRETARY, step: 'branch-review' });
    expect(eventsOf(t, h)[0]).toMatchObject({
      type: 'join-date.approved',
      outcome: 'approved',
      orgId: BRANCH.id,
      payload: { route: 'window', from: '2016-05-04', to: '2016-09-01' },
    });

    const withdrawn = await joinDateRequested('window');
    await decide(withdrawn.h, { action: 'withdraw', ...MEMBER });
    expect(await stateOf(withdrawn.h)).toMatchObject({ status: 'withdrawn' });
  });

  test("R7: a city-level committee's formal request is decided by the province alone: approve, or reject with a reason; closed, it goes back to the branch", async () => {
    const { h, recorded } = await joinDateRequested('formal');
    expect(recorded.step).toBe('province-review');
    expect(t.callsOf(h.workflowId, 'recordJoinDateRequested')[0]?.input).toMatchObject({ patch: { step: 'province-review', org: { id: PROVINCE.id } } });
    expect(await refusal(decide(h, { action: 'approve', ...SECRETARY }))).toMatchObject({ kind: 'forbidden', rule: 'R7' });
    expect(await refusal(decide(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'x' }))).toMatchObject({ kind: 'rule', rule: 'R7' });
    expect(await refusal(decide(h, { action: 'reject', ...PROVINCE_ADMIN }))).toMatchObject({ kind: 'rule', rule: 'R7' });
    await decide(h, { action: 'reject', ...PROVINCE_ADMIN, reason: '证据不足', step: 'province-review' });
    expect(eventsOf(t, h)[0]).toMatchObject({
      type: 'join-date.rejected',
      outcome: 'rejected',
      orgId: PROVINCE.id,
      payload: { reason: '证据不足', route: 'formal' },
      patch: { status: 'rejected', org: { id: BRANCH.id } },
    });
    expect(eventsOf(t, h)[0]?.payload).not.toHaveProperty('from');

    const approved = await joinDateRequested('formal');
    await decide(approved.h, { action: 'approve', ...PROVINCE_ADMIN });
    expect(eventsOf(t, approved.h)[0]).toMatchObject({ type: 'join-date.approved', payload: { from: '2016-05-04', to: '2016-09-01', route: 'formal' } });
  });
});
