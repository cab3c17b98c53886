// R18, fast: the disciplinary case's step table (workflows/discipline.ts `disciplineProcess`) on the real workflow,
// its writes stubbed: verification, the talk, the meeting with its materials, approval above, the spot check, the
// sanction; probation as a timer of months and its review; who decides each step, the refusals, and each step
// visit's own deadline. The durations are the real ones (days, months); the time-skipping test server makes them instant.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { OpenProcessInput } from '../../activities/processes';
import type { DisciplineInput, Sanction } from '../../domain/discipline';
import type { OrgRef } from '../../domain/orgs';
import { discipline } from '../../workflows/discipline';
import { meetingUpdate, talkUpdate } from '../../processes/messages';
import { DAY, fastEnv } from './env';
import { dayAt, dayOf, deadlineEvents, decide, eventsOf, refusal, startProcess, stateOf, writesOf } from './processes';

const t = fastEnv({
  workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
  activities: ['openProcess', 'recordProcessEvent'],
});

const PROVINCE: OrgRef = { id: 'org-gd', path: '/org-gd', parentId: null, kind: 'committee' };
const CITY: OrgRef = { id: 'org-sz', path: '/org-gd/org-sz', parentId: PROVINCE.id, kind: 'committee' };
const SCHOOL: OrgRef = { id: 'org-sch', path: `${CITY.path}/org-sch`, parentId: CITY.id, kind: 'committee' };
const BRANCH: OrgRef = { id: 'org-b1', path: `${SCHOOL.path}/org-b1`, parentId: SCHOOL.id, kind: 'branch' };

/** R3's defaults on every waiting step; a month of probation is 30 days. */
const TEN_DAYS = { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: DAY };
const MONTH = 30 * DAY;

const SECRETARY = { actorId: 'actor-sec', actorRole: 'branch_secretary' };
const SCHOOL_ADMIN = { actorId: 'actor-school', actorRole: 'committee_admin' };
const CITY_ADMIN = { actorId: 'actor-city', actorRole: 'committee_admin' };
const PROVINCE_ADMIN = { actorId: 'actor-province', actorRole: 'province_admin' };

type Handle = WorkflowHandle<Workflow>;

async function opened(o: Partial<DisciplineInput> = {}): Promise<{ h: Handle; pid: string; input: DisciplineInput; deadline: string; startedAt: number }> {
  const input: DisciplineInput = {
    processId: randomUUID(),
    memberId: randomUUID(),
    grounds: 'misconduct',
    details: 'repeated absence from league life',
    startedBy: SECRETARY.actorId,
    branch: BRANCH,
    approver: SCHOOL,
    expulsionApprover: CITY,
    province: PROVINCE,
    spotCheck: false,
    timing: {
      verification: TEN_DAYS,
      talk: TEN_DAYS,
      meeting: TEN_DAYS,
      approval: TEN_DAYS,
      spotCheck: TEN_DAYS,
      probationReview: TEN_DAYS,
      probationMonthMs: MONTH,
    },
    ...o,
  };
  const { h, recorded, startedAt } = await startProcess(t, discipline, input, TEN_DAYS.deadlineMs);
  expect(recorded).toMatchObject({ processId: input.processId, step: 'verification' });
  return { h, pid: input.processId, input, deadline: recorded.deadline, startedAt };
}

const talk = (h: Handle, actor = SECRETARY, step?: string) =>
  h.executeUpdate(talkUpdate, { args: [{ heldOn: '2026-11-01', summary: 'talked with the member', ...actor, step }] });

const MATERIALS = [{ id: 'material-1', sha256: 'a'.repeat(64) }];
const meeting = (h: Handle, sanction: Sanction, o: { probationMonths?: 6 | 12; materials?: typeof MATERIALS; actor?: typeof SECRETARY } = {}) =>
  h.executeUpdate(meetingUpdate, {
    args: [
      {
        heldOn: '2026-11-05',
        sanction,
        probationMonths: o.probationMonths,
        materialIds: ['material-1'],
        summary: 'decided by the branch meeting',
        materials: o.materials ?? MATERIALS,
        ...(o.actor ?? SECRETARY),
      },
    ],
  });

/** Verified, the talk recorded, the meeting decided `sanction`: waiting for approval. */
async function toApproval(h: Handle, sanction: Sanction, probationMonths?: 6 | 12) {
  await decide(h, { action: 'approve', ...SECRETARY });
  await talk(h);
  await meeting(h, sanction, { probationMonths });
}

/** Decides, and answers the step the `state` query reports after it. */
async function stepAfter(h: Handle, cmd: Parameters<typeof decide>[1]): Promise<string> {
  await decide(h, cmd);
  return (await stateOf(h)).step;
}

const sleepDays = (days: number) => t.env.sleep(days * DAY);

describe('disciplinary case (R18): the step table', () => {
  test('R18: verification, the talk, the meeting with its materials, approval above and the spot check; then the sanction applies', async () => {
    const { h, pid, input, deadline } = await opened({ spotCheck: true });
    const [open] = t.callsOf(h.workflowId, 'openProcess');
    expect(open?.input as OpenProcessInput).toMatchObject({
      key: `${pid}:opened`,
      kind: 'discipline',
      type: 'discipline.opened',
      step: 'verification',
      org: { id: BRANCH.id, path: BRANCH.path },
      deadline,
      payload: { grounds: 'misconduct', spotCheck: true },
      notify: [{ recipientOrgId: BRANCH.id, kind: 'task' }],
    });

    expect(await stepAfter(h, { action: 'approve', ...SECRETARY, step: 'verification' })).toBe('talk');
    expect(await talk(h, SECRETARY, 'talk')).toEqual({ step: 'meeting' });
    expect(await meeting(h, 'warning')).toEqual({ step: 'approval' });
    expect(await stepAfter(h, { action: 'approve', ...SCHOOL_ADMIN, step: 'approval' })).toBe('spot-check');
    expect(await stepAfter(h, { action: 'approve', ...PROVINCE_ADMIN, step: 'spot-check' })).toBe('closed');
    expect(await h.result()).toEqual({ processId: pid, status: 'approved', sanction: 'warning' });

    const events = eventsOf(t, h);
    expect(events.map((e) => [e.type, e.orgId, e.actorId, e.kind, e.outcome])).toEqual([
      ['discipline.verified', BRANCH.id, SECRETARY.actorId, 'discipline', undefined],
      ['discipline.talk-recorded', BRANCH.id, SECRETARY.actorId, 'discipline', undefined],
      ['discipline.decided', BRANCH.id, SECRETARY.actorId, 'discipline', undefined],
      ['discipline.approved', SCHOOL.id, SCHOOL_ADMIN.actorId, 'discipline', undefined],
      ['discipline.spot-checked', PROVINCE.id, PROVINCE_ADMIN.actorId, 'discipline', undefined],
      ['discipline.sanction-applied', PROVINCE.id, PROVINCE_ADMIN.actorId, 'discipline', 'approved'],
    ]);
    // Each move hands the case to the next acting organization; the decision goes to the committee above with its materials.
    expect(events.map((e) => [e.patch?.step, e.patch?.org?.id, e.notify?.map((n) => n.recipientOrgId)])).toEqual([
      ['talk', BRANCH.id, undefined],
      ['meeting', BRANCH.id, undefined],
      ['approval', SCHOOL.id, [SCHOOL.id]],
      ['spot-check', PROVINCE.id, [PROVINCE.id]],
      [undefined, undefined, undefined],
      // Closed: the case belongs to the member's branch again.
      ['closed', BRANCH.id, undefined],
    ]);
    expect(events[2]!.payload).toEqual({ heldOn: '2026-11-05', sanction: 'warning', probationMonths: undefined, materials: MATERIALS });
    expect(events[5]).toMatchObject({
      memberId: input.memberId,
      member: { status: 'active', sanction: 'warning' },
      payload: { sanction: 'warning' },
      patch: { status: 'approved', closed: true },
    });
  });

  test('R18: without a spot check the approval applies the sanction; an expulsion is approved at the configured level, not directly above', async () => {
    const { h, pid } = await opened({ spotCheck: false });
    await toApproval(h, 'expulsion');
    expect(await stateOf(h)).toMatchObject({ step: 'approval' });
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      type: 'discipline.decided',
      patch: { org: { id: CITY.id } },
      notify: [{ recipientOrgId: CITY.id, kind: 'task' }],
    });
    expect(await stepAfter(h, { action: 'approve', ...CITY_ADMIN })).toBe('closed');
    expect(await h.result()).toEqual({ processId: pid, status: 'approved', sanction: 'expulsion' });
    expect(
      eventsOf(t, h)
        .slice(3)
        .map((e) => [e.type, e.orgId, e.outcome, e.member]),
    ).toEqual([
      ['discipline.approved', CITY.id, undefined, undefined],
      ['discipline.sanction-applied', CITY.id, 'approved', { status: 'expelled', sanction: 'expulsion' }],
    ]);
  });

  test('R18: probation is a timer of N months followed by the probation-review: the branch restores the rights, or proposes an expulsion that the configured approver approves or returns', async () => {
    const restored = await opened();
    await toApproval(restored.h, 'probation', 6);
    // Approved: the sanction applies at once, the case waits out 6 months (180 days) of probation.
    const { deadline } = await decide(restored.h, { action: 'approve', ...SCHOOL_ADMIN });
    expect(dayOf(deadline, restored.startedAt)).toBe(180);
    expect(await stateOf(restored.h)).toMatchObject({ step: 'probation', status: 'pending' });
    expect(
      eventsOf(t, restored.h)
        .slice(3)
        .map((e) => [e.type, e.orgId, e.outcome, e.member, e.patch?.step]),
    ).toEqual([
      ['discipline.approved', SCHOOL.id, undefined, undefined, undefined],
      // Written once the case has moved on to the probation: under the branch, where the case now waits.
      ['discipline.sanction-applied', BRANCH.id, undefined, { status: 'probation', sanction: 'probation' }, 'probation'],
    ]);
    // Nothing is decided during probation, not even an extension.
    expect(await refusal(decide(restored.h, { action: 'approve', ...SECRETARY }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: '"approve" is not possible at the step "probation"',
    });
    expect(await refusal(decide(restored.h, { action: 'extend', ...SECRETARY, until: dayAt(restored.startedAt, 200), reason: 'x' }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
    });
    const written = writesOf(t, restored.h).length;
    await sleepDays(179.5);
    expect(await stateOf(restored.h)).toMatchObject({ step: 'probation' });
    // No reminders or escalations while on probation: it is a timer, not a waiting step.
    expect(writesOf(t, restored.h)).toHaveLength(written);
    await sleepDays(1); // day 180.5
    expect(await stateOf(restored.h)).toMatchObject({ step: 'probation-review', status: 'pending' });
    expect(eventsOf(t, restored.h).at(-1)).toMatchObject({
      type: 'discipline.probation-ended',
      orgId: BRANCH.id,
      patch: { step: 'probation-review', org: { id: BRANCH.id } },
      notify: [{ recipientOrgId: BRANCH.id, kind: 'task' }],
    });
    expect(eventsOf(t, restored.h).at(-1)!.outcome).toBeUndefined();
    expect(await stepAfter(restored.h, { action: 'approve', ...SECRETARY, step: 'probation-review' })).toBe('closed');
    expect(await restored.h.result()).toMatchObject({ status: 'approved', sanction: 'probation' });
    expect(eventsOf(t, restored.h).at(-1)).toMatchObject({
      type: 'discipline.rights-restored',
      orgId: BRANCH.id,
      outcome: 'approved',
      member: { status: 'active', sanction: null },
    });

    const expelled = await opened();
    await toApproval(expelled.h, 'probation', 12);
    await decide(expelled.h, { action: 'approve', ...SCHOOL_ADMIN });
    await sleepDays(359.5);
    expect(await stateOf(expelled.h)).toMatchObject({ step: 'probation' });
    await sleepDays(1); // 12 months (360 days) and half a day
    expect(await stateOf(expelled.h)).toMatchObject({ step: 'probation-review' });
    expect(await refusal(decide(expelled.h, { action: 'expel', ...SECRETARY }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: '"expel" needs a reason',
    });
    expect(await refusal(decide(expelled.h, { action: 'expel', ...SCHOOL_ADMIN, reason: 'no change' }))).toMatchObject({ kind: 'forbidden', rule: 'R18' });
    // R18: the branch proposes; the configured expulsion approver (here the city) approves or returns it.
    expect(await stepAfter(expelled.h, { action: 'expel', ...SECRETARY, reason: 'no change in behaviour' })).toBe('approval');
    expect(eventsOf(t, expelled.h).at(-1)).toMatchObject({
      type: 'discipline.expulsion-proposed',
      orgId: BRANCH.id,
      patch: { step: 'approval', org: { id: CITY.id } },
      notify: [{ recipientOrgId: CITY.id, kind: 'task' }],
    });
    expect(eventsOf(t, expelled.h).at(-1)!.outcome).toBeUndefined();
    expect(await refusal(decide(expelled.h, { action: 'approve', ...SECRETARY }))).toMatchObject({ kind: 'forbidden', rule: 'R18' });
    expect(await stepAfter(expelled.h, { action: 'return', ...CITY_ADMIN, reason: 'talk to the member first' })).toBe('probation-review');
    expect(eventsOf(t, expelled.h).at(-1)).toMatchObject({ type: 'discipline.returned', orgId: CITY.id, payload: { to: 'probation-review' } });
    await decide(expelled.h, { action: 'expel', ...SECRETARY, reason: 'no change after the talk' });
    expect(await stepAfter(expelled.h, { action: 'approve', ...CITY_ADMIN })).toBe('closed');
    expect(eventsOf(t, expelled.h).at(-1)).toMatchObject({
      type: 'discipline.expelled',
      orgId: CITY.id,
      kind: 'discipline',
      outcome: 'approved',
      effect: { effect: 'probation.expel', sanction: 'expulsion' },
      payload: { reason: 'no change after the talk', afterProbation: true },
    });
    expect(await expelled.h.result()).toMatchObject({ status: 'approved' });
  });

  test('R18: a resolve is refused unless the grounds are unpaid dues; a removal case for unpaid dues is resolved by the branch where the steps take it', async () => {
    const misconduct = await opened({ grounds: 'misconduct' });
    expect(await refusal(decide(misconduct.h, { action: 'resolve', ...SECRETARY }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: 'only a removal case for unpaid dues is resolved by paying',
    });
    expect(writesOf(t, misconduct.h)).toEqual(['openProcess']);

    const dues = await opened({ grounds: 'unpaid-dues' });
    await toApproval(dues.h, 'removal-from-roll');
    // Not at the approval above: it takes no resolve; returned to the branch meeting, the branch resolves it.
    expect(await refusal(decide(dues.h, { action: 'resolve', ...SCHOOL_ADMIN }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: '"resolve" is not possible at the step "approval"',
    });
    expect(await stepAfter(dues.h, { action: 'return', ...SCHOOL_ADMIN, reason: 'the dues were paid meanwhile' })).toBe('meeting');
    expect(eventsOf(t, dues.h).at(-1)).toMatchObject({
      type: 'discipline.returned',
      orgId: SCHOOL.id,
      payload: { to: 'meeting' },
      patch: { step: 'meeting', org: { id: BRANCH.id } },
    });
    expect(await refusal(decide(dues.h, { action: 'resolve', ...SCHOOL_ADMIN }))).toMatchObject({ kind: 'forbidden', rule: 'R18' });
    expect(await stepAfter(dues.h, { action: 'resolve', ...SECRETARY })).toBe('closed');
    expect(await dues.h.result()).toEqual({ processId: dues.pid, status: 'resolved', sanction: null });
    expect(eventsOf(t, dues.h).at(-1)).toMatchObject({
      type: 'discipline.resolved',
      orgId: BRANCH.id,
      kind: 'discipline',
      outcome: 'resolved',
      payload: { reason: 'dues paid in full', step: 'meeting' },
    });
  });

  test('R18: each step refuses what it does not take, the wrong role (forbidden), a missing reason or materials, and a step moved on from (conflict); refused decisions write nothing; the spot check returns the case to the missing step', async () => {
    const { h, pid } = await opened({ spotCheck: true });
    const written = () => writesOf(t, h).length;
    let before = written();
    // Verification, by the branch.
    expect(await refusal(decide(h, { action: 'return', ...SECRETARY, reason: 'x' }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: '"return" is not possible at the step "verification"',
    });
    expect(await refusal(decide(h, { action: 'approve', ...SCHOOL_ADMIN }))).toMatchObject({
      kind: 'forbidden',
      rule: 'R18',
      message: 'the step "verification" is decided by branch_secretary',
    });
    expect(await refusal(decide(h, { action: 'reject', ...SECRETARY }))).toMatchObject({ kind: 'rule', rule: 'R18', message: '"reject" needs a reason' });
    expect(await refusal(talk(h))).toMatchObject({ kind: 'rule', rule: 'R18', message: 'not possible at the step "verification"' });
    expect(written()).toBe(before);

    // The talk, recorded by the branch.
    await decide(h, { action: 'approve', ...SECRETARY });
    before = written();
    expect(await refusal(decide(h, { action: 'approve', ...SECRETARY }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: '"approve" is not possible at the step "talk"',
    });
    expect(await refusal(meeting(h, 'warning'))).toMatchObject({ kind: 'rule', rule: 'R18', message: 'not possible at the step "talk"' });
    expect(await refusal(talk(h, SCHOOL_ADMIN))).toMatchObject({ kind: 'forbidden', rule: 'R18' });
    expect(await refusal(talk(h, SECRETARY, 'verification'))).toMatchObject({ kind: 'conflict', rule: 'R18' });
    expect(written()).toBe(before);

    // The meeting's decision, by the branch, with its materials.
    await talk(h);
    before = written();
    expect(await refusal(meeting(h, 'warning', { materials: [] }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: 'the decision needs its materials uploaded',
    });
    expect(await refusal(meeting(h, 'warning', { actor: SCHOOL_ADMIN }))).toMatchObject({ kind: 'forbidden', rule: 'R18' });
    expect(await refusal(talk(h))).toMatchObject({ kind: 'rule', rule: 'R18', message: 'not possible at the step "meeting"' });
    expect(await refusal(decide(h, { action: 'approve', ...SECRETARY }))).toMatchObject({ kind: 'rule', rule: 'R18' });
    expect(written()).toBe(before);

    // Approval, by the committee above.
    await meeting(h, 'serious-warning');
    before = written();
    expect(await refusal(decide(h, { action: 'approve', ...SECRETARY }))).toMatchObject({
      kind: 'forbidden',
      rule: 'R18',
      message: 'the step "approval" is decided by committee_admin or province_admin',
    });
    expect(await refusal(decide(h, { action: 'return', ...SCHOOL_ADMIN }))).toMatchObject({ kind: 'rule', rule: 'R18', message: '"return" needs a reason' });
    expect(await refusal(decide(h, { action: 'reject', ...SCHOOL_ADMIN, reason: 'x' }))).toMatchObject({ kind: 'rule', rule: 'R18' });
    expect(await refusal(decide(h, { action: 'approve', ...SCHOOL_ADMIN, step: 'meeting' }))).toMatchObject({ kind: 'conflict', rule: 'R18' });
    expect(written()).toBe(before);

    // The spot check, by the province: a return names the missing step.
    await decide(h, { action: 'approve', ...SCHOOL_ADMIN });
    before = written();
    expect(await refusal(decide(h, { action: 'approve', ...SCHOOL_ADMIN }))).toMatchObject({
      kind: 'forbidden',
      rule: 'R18',
      message: 'the step "spot-check" is decided by province_admin',
    });
    expect(await refusal(decide(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'the talk is not documented' }))).toMatchObject({
      kind: 'rule',
      rule: 'R18',
      message: 'a spot check returns the case to the missing step (toStep)',
    });
    expect(written()).toBe(before);
    expect(await stepAfter(h, { action: 'return', ...PROVINCE_ADMIN, reason: 'the talk is not documented', toStep: 'talk' })).toBe('talk');
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      type: 'discipline.returned',
      orgId: PROVINCE.id,
      payload: { reason: 'the talk is not documented', to: 'talk' },
      patch: { step: 'talk', org: { id: BRANCH.id } },
      notify: [{ recipientOrgId: BRANCH.id, kind: 'task' }],
    });

    // What came after the missing step is redone: the talk, the meeting, the approval, the spot check.
    await talk(h);
    await meeting(h, 'warning');
    await decide(h, { action: 'approve', ...SCHOOL_ADMIN });
    await decide(h, { action: 'approve', ...PROVINCE_ADMIN });
    expect(await h.result()).toEqual({ processId: pid, status: 'approved', sanction: 'warning' });
    expect(eventsOf(t, h).map((e) => e.type)).toEqual([
      'discipline.verified',
      'discipline.talk-recorded',
      'discipline.decided',
      'discipline.approved',
      'discipline.returned',
      'discipline.talk-recorded',
      'discipline.decided',
      'discipline.approved',
      'discipline.spot-checked',
      'discipline.sanction-applied',
    ]);
  });

  test("R18: a waiting step of a case is reminded, then escalated to the branch's parent while overdue", async () => {
    const { h, pid, startedAt } = await opened();
    await sleepDays(12.5);
    expect(writesOf(t, h)).toEqual(['openProcess', 'deadline.reminder', 'deadline.reminder', 'deadline.overdue', 'deadline.escalated', 'deadline.escalated']);
    const events = deadlineEvents(t, h, startedAt);
    expect(events.map((e) => [e.key, e.orgId, e.day])).toEqual([
      [`${pid}:verification:0:reminder:0:0`, BRANCH.id, 7],
      [`${pid}:verification:0:reminder:0:1`, BRANCH.id, 9],
      [`${pid}:verification:0:overdue:0`, BRANCH.id, 10],
      [`${pid}:verification:0:escalation:2`, BRANCH.id, 11],
      [`${pid}:verification:0:escalation:3`, BRANCH.id, 12],
    ]);
    const notices = events.flatMap((e) => e.notify ?? []);
    expect(notices.filter((n) => n.kind === 'reminder').map((n) => n.recipientOrgId)).toEqual([BRANCH.id, BRANCH.id]);
    // Escalated to the branch's parent (the school committee) at the deadline and every day after.
    expect(notices.filter((n) => n.kind === 'escalation').map((n) => n.recipientOrgId)).toEqual([
      BRANCH.id,
      SCHOOL.id,
      BRANCH.id,
      SCHOOL.id,
      BRANCH.id,
      SCHOOL.id,
    ]);
    expect(events[2]!.patch).toEqual({ overdue: true });
    expect(await stateOf(h)).toMatchObject({ step: 'verification', overdue: true });

    expect(await stepAfter(h, { action: 'approve', ...SECRETARY })).toBe('talk');
    expect(await stateOf(h)).toMatchObject({ overdue: false });
    expect(eventsOf(t, h).at(-1)).toMatchObject({ type: 'discipline.verified', patch: { step: 'talk', overdue: false } });
  });

  test("R18: each step visit has its own deadline: a committee above extends the verification (R3; which committee is the API's authorization), and the talk then starts its own 10 days", async () => {
    const { h, pid, startedAt } = await opened();
    await sleepDays(1);
    const until = dayAt(startedAt, 15);
    expect(await refusal(decide(h, { action: 'extend', ...SCHOOL_ADMIN, until: dayAt(startedAt, 5), reason: 'exams' }))).toMatchObject({
      kind: 'rule',
      rule: 'R3',
    });
    expect(await decide(h, { action: 'extend', ...SCHOOL_ADMIN, until, reason: 'the member is abroad' })).toEqual({ status: 'pending', deadline: until });
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      key: `${pid}:verification:0:extended:1`,
      orgId: BRANCH.id,
      actorId: SCHOOL_ADMIN.actorId,
      patch: { deadline: until },
    });
    await sleepDays(1);
    const { deadline } = await decide(h, { action: 'approve', ...SECRETARY }); // day 2: the talk is due on day 12
    expect(dayOf(deadline, startedAt)).toBe(12);
    await sleepDays(10.5); // day 12.5: the verification's extended reminders (days 12 and 14) never come
    expect(deadlineEvents(t, h, startedAt).map((e) => [e.key, e.orgId, e.day])).toEqual([
      [`${pid}:talk:1:reminder:0:0`, BRANCH.id, 9],
      [`${pid}:talk:1:reminder:0:1`, BRANCH.id, 11],
      [`${pid}:talk:1:overdue:0`, BRANCH.id, 12],
    ]);
    await talk(h);
    expect(await stateOf(h)).toMatchObject({ step: 'meeting', overdue: false });
  });
});
