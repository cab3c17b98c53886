// R9-R13, fast: the transfer's step table (workflows/transfer.ts `transferProcess`) on the real workflow, its writes
// and the other province stubbed: the internal path (release, arrival, placement), the wait for a new branch
// (R12), the deadline of each side and its timeout effects (R9), and the inbound check-in decided on its own
// process (R10). The durations are the real ones (days); the time-skipping test server makes them instant.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { PeerSendInput } from '../../activities/transfer';
import type { OrgRef } from '../../domain/orgs';
import { DEFAULT_TRANSFER_TIMING, type TransferInput } from '../../domain/transfers';
import { checkInWorkflowId } from '../../domain/workflow-ids';
import { stateQuery } from '../../processes/messages';
import { recordedUpdate } from '../../processes/messages';
import { transfer } from '../../workflows/transfer';
import { peerSignal } from '../../processes/messages';
import { orgChangedSignal } from '../../processes/messages';
import { DAY, fastEnv } from './env';
import { dayAt, deadlineEvents, decide, eventsOf, eventually, refusal, startProcess, stateOf, writesOf } from './processes';

/** What the stub of `resolveOrg` knows: the branch a transfer waits for (R12) exists once created, with a phone. */
const NEW_BRANCH_ID = 'org-sch-freshmen';

const t = fastEnv({
  workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
  activities: ['recordTransferRequested', 'recordProcessEvent', 'resolveOrg', 'sendToPeer', 'recordCheckInSubmitted'],
  respond: {
    resolveOrg: (input) => {
      const { orgId } = input as { orgId: string };
      return orgId === NEW_BRANCH_ID ? { ref: NEW_BRANCH, hasContactPhone: true } : null;
    },
  },
});

/**
 * province
 * ├── city1 ── school ── branch1, branch2 (and the freshman branch, created later)
 * └── city2 ── county2 ── branch3
 */
const PROVINCE: OrgRef = { id: 'org-gd', path: '/org-gd', parentId: null, kind: 'committee' };
const CITY1: OrgRef = { id: 'org-sz', path: '/org-gd/org-sz', parentId: PROVINCE.id, kind: 'committee' };
const SCHOOL: OrgRef = { id: 'org-sch', path: `${CITY1.path}/org-sch`, parentId: CITY1.id, kind: 'committee' };
const BRANCH1: OrgRef = { id: 'org-b1', path: `${SCHOOL.path}/org-b1`, parentId: SCHOOL.id, kind: 'branch' };
const BRANCH2: OrgRef = { id: 'org-b2', path: `${SCHOOL.path}/org-b2`, parentId: SCHOOL.id, kind: 'branch' };
const NEW_BRANCH: OrgRef = { id: NEW_BRANCH_ID, path: `${SCHOOL.path}/${NEW_BRANCH_ID}`, parentId: SCHOOL.id, kind: 'branch' };
const CITY2: OrgRef = { id: 'org-gz', path: '/org-gd/org-gz', parentId: PROVINCE.id, kind: 'committee' };
const COUNTY2: OrgRef = { id: 'org-th', path: `${CITY2.path}/org-th`, parentId: CITY2.id, kind: 'committee' };
const BRANCH3: OrgRef = { id: 'org-b3', path: `${COUNTY2.path}/org-b3`, parentId: COUNTY2.id, kind: 'branch' };

type Handle = WorkflowHandle<Workflow>;

function transferInput(o: Partial<TransferInput>): TransferInput {
  return {
    processId: randomUUID(),
    memberId: randomUUID(),
    direction: 'internal',
    startedBy: 'actor-sec1',
    from: BRANCH1,
    to: BRANCH3,
    graduateCohort: null,
    // R9's defaults: release, arrival and placement 10 days each, reminded 3 days and 1 day before, escalated daily.
    timing: DEFAULT_TRANSFER_TIMING,
    checkInTiming: { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: DAY },
    ...o,
  };
}

async function requested(o: Partial<TransferInput> = {}): Promise<{ h: Handle; pid: string; input: TransferInput; deadline: string; startedAt: number }> {
  const input = transferInput(o);
  const firstDeadline = input.direction === 'inbound' ? input.checkInTiming.deadlineMs : input.timing.release.deadlineMs;
  const { h, recorded, startedAt } = await startProcess(t, transfer, input, firstDeadline);
  return { h, pid: input.processId, input, deadline: recorded.deadline, startedAt };
}

/** Decides, and answers the step the `state` query reports after it. */
async function stepAfter(h: Handle, cmd: Parameters<typeof decide>[1]): Promise<string> {
  await decide(h, cmd);
  return (await stateOf(h)).step;
}

const sleepDays = (days: number) => t.env.sleep(days * DAY);

describe('transfer (R9-R13): the step table', () => {
  test('R9: within the province: the sending branch releases, the receiving branch approves the arrival, and the member belongs to it', async () => {
    const { h, pid, input, deadline } = await requested();
    const [first] = t.callsOf(h.workflowId, 'recordTransferRequested');
    expect((first?.input as { patch: unknown }).patch).toEqual({ step: 'release', org: { id: BRANCH1.id, path: BRANCH1.path }, deadline });
    expect(await stateOf(h)).toMatchObject({ step: 'release', deadline });

    expect(await stepAfter(h, { action: 'approve', actorId: 'actor-sec1', step: 'release' })).toBe('arrival');
    expect(await stepAfter(h, { action: 'approve', actorId: 'actor-sec3', step: 'arrival' })).toBe('closed');
    expect(await h.result()).toEqual({ processId: pid, status: 'approved' });

    const events = eventsOf(t, h);
    expect(events.map((e) => [e.key, e.type, e.orgId, e.actorId, e.kind, e.outcome])).toEqual([
      [`${pid}:1:transfer.release-approved`, 'transfer.release-approved', BRANCH1.id, 'actor-sec1', 'transfer', undefined],
      [`${pid}:2:transfer.completed`, 'transfer.completed', BRANCH3.id, 'actor-sec3', 'transfer', 'approved'],
    ]);
    expect(events[0]).toMatchObject({
      patch: { step: 'arrival', org: { id: BRANCH3.id, path: BRANCH3.path }, overdue: false },
      notify: [{ recipientOrgId: BRANCH3.id, kind: 'task' }],
      detail: { toOrgId: BRANCH3.id, direction: 'internal' },
    });
    expect(events[1]).toMatchObject({
      memberId: input.memberId,
      payload: { branchId: BRANCH3.id },
      patch: { status: 'approved', closed: true },
      detail: { completeAt: BRANCH3 },
    });
    // Within the province nothing goes to a peer; new runs append through the one event append.
    expect(writesOf(t, h)).toEqual(['recordTransferRequested', 'transfer.release-approved', 'transfer.completed']);
  });

  test('R9: a receiving committee approves the arrival, then places the member into one of its own branches; a branch outside it is refused', async () => {
    const { h, pid } = await requested({ from: BRANCH3, to: SCHOOL });
    expect(await stepAfter(h, { action: 'approve', actorId: 'actor-sec3' })).toBe('arrival');
    expect(await stepAfter(h, { action: 'approve', actorId: 'actor-school' })).toBe('placement');
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      type: 'transfer.arrival-approved',
      orgId: SCHOOL.id,
      patch: { step: 'placement', org: { id: SCHOOL.id } },
      notify: [{ recipientOrgId: SCHOOL.id, kind: 'task' }],
    });

    const written = writesOf(t, h).length;
    expect(await refusal(decide(h, { action: 'place', actorId: 'actor-school', branch: BRANCH3 }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: `the branch must belong to ${SCHOOL.id}`,
    });
    expect(await refusal(decide(h, { action: 'place', actorId: 'actor-school', branch: SCHOOL }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: 'the member is placed into a branch',
    });
    expect(await refusal(decide(h, { action: 'place', actorId: 'actor-school' }))).toMatchObject({ kind: 'rule', rule: 'R9' });
    expect(await refusal(decide(h, { action: 'approve', actorId: 'actor-school' }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: '"approve" is not possible at the step "placement"',
    });
    expect(writesOf(t, h)).toHaveLength(written);

    expect(await stepAfter(h, { action: 'place', actorId: 'actor-school', branch: BRANCH2, step: 'placement' })).toBe('closed');
    expect(await h.result()).toEqual({ processId: pid, status: 'approved' });
    expect(eventsOf(t, h).map((e) => [e.type, e.orgId, e.outcome])).toEqual([
      ['transfer.release-approved', BRANCH3.id, undefined],
      ['transfer.arrival-approved', SCHOOL.id, undefined],
      ['transfer.completed', SCHOOL.id, 'approved'],
    ]);
    expect(eventsOf(t, h).at(-1)).toMatchObject({ kind: 'transfer', payload: { branchId: BRANCH2.id }, detail: { toOrgId: BRANCH2.id, completeAt: BRANCH2 } });
  });

  test('R9: each step refuses what it does not take (R9) and a rejection without a reason; a step moved on from is a conflict; a rejection or withdrawal ends it with its reason', async () => {
    const { h, pid } = await requested({ to: BRANCH2 });
    expect(await refusal(decide(h, { action: 'place', actorId: 'actor-sec1', branch: BRANCH2 }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: '"place" is not possible at the step "release"',
    });
    expect(await refusal(decide(h, { action: 'return', actorId: 'actor-sec1', reason: 'no' }))).toMatchObject({ kind: 'rule', rule: 'R9' });
    expect(await refusal(decide(h, { action: 'reject', actorId: 'actor-sec1' }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: '"reject" needs a reason',
    });
    expect(await refusal(decide(h, { action: 'approve', actorId: 'actor-sec2', step: 'arrival' }))).toMatchObject({ kind: 'conflict', rule: 'R9' });
    expect(writesOf(t, h)).toEqual(['recordTransferRequested']);

    await decide(h, { action: 'approve', actorId: 'actor-sec1' });
    expect(await refusal(decide(h, { action: 'approve', actorId: 'actor-sec1', step: 'release' }))).toMatchObject({
      kind: 'conflict',
      rule: 'R9',
      message: 'this transfer has moved on to the step "arrival"; reload it',
    });
    expect(await refusal(decide(h, { action: 'place', actorId: 'actor-sec2', branch: BRANCH2 }))).toMatchObject({ kind: 'rule', rule: 'R9' });
    expect(await stepAfter(h, { action: 'reject', actorId: 'actor-sec2', reason: 'no such person in our class' })).toBe('closed');
    expect(await h.result()).toEqual({ processId: pid, status: 'rejected' });
    expect(eventsOf(t, h).map((e) => [e.type, e.orgId, e.outcome, e.payload])).toEqual([
      ['transfer.release-approved', BRANCH1.id, undefined, {}],
      ['transfer.rejected', BRANCH2.id, 'rejected', { reason: 'no such person in our class', step: 'arrival' }],
    ]);
    // No member move: only an approved transfer carries where the member is placed.
    expect(eventsOf(t, h).at(-1)!.detail?.completeAt).toBeUndefined();

    const withdrawn = await requested();
    expect(await stepAfter(withdrawn.h, { action: 'withdraw', actorId: 'actor-member' })).toBe('closed');
    expect(eventsOf(t, withdrawn.h).map((e) => [e.type, e.orgId, e.kind, e.outcome, e.payload])).toEqual([
      ['transfer.withdrawn', BRANCH1.id, 'transfer', 'withdrawn', { step: 'release' }],
    ]);
  });

  test("R9: the sending side has a deadline too: reminded, then escalated to the branch's parent while overdue", async () => {
    const { h, pid, startedAt } = await requested();
    await sleepDays(12.5);
    expect(writesOf(t, h)).toEqual([
      'recordTransferRequested',
      'deadline.reminder',
      'deadline.reminder',
      'deadline.overdue',
      'deadline.escalated',
      'deadline.escalated',
    ]);
    const release = deadlineEvents(t, h, startedAt);
    expect(release.map((e) => [e.key, e.orgId, e.day])).toEqual([
      [`${pid}:release:0:reminder:0:0`, BRANCH1.id, 7],
      [`${pid}:release:0:reminder:0:1`, BRANCH1.id, 9],
      [`${pid}:release:0:overdue:0`, BRANCH1.id, 10],
      [`${pid}:release:0:escalation:2`, BRANCH1.id, 11],
      [`${pid}:release:0:escalation:3`, BRANCH1.id, 12],
    ]);
    const notices = release.flatMap((e) => e.notify ?? []);
    expect(notices.filter((n) => n.kind === 'reminder').map((n) => n.recipientOrgId)).toEqual([BRANCH1.id, BRANCH1.id]);
    // Escalated to the sending branch's parent (the school committee) at the deadline and every day after.
    expect(notices.filter((n) => n.kind === 'escalation' && n.recipientOrgId === SCHOOL.id)).toHaveLength(3);
    expect(release[2]!.patch).toEqual({ overdue: true });
    expect(await stateOf(h)).toMatchObject({ step: 'release', overdue: true, escalations: 3 });

    // An admin above extends it; the sending branch then releases.
    const until = dayAt(startedAt, 20);
    expect(await decide(h, { action: 'extend', actorId: 'actor-school', until, reason: 'exams' })).toEqual({ status: 'pending', deadline: until });
    expect(await stateOf(h)).toMatchObject({ step: 'release', overdue: false });
    expect(await stepAfter(h, { action: 'approve', actorId: 'actor-sec1' })).toBe('arrival');
    expect(await stateOf(h)).toMatchObject({ overdue: false });
    expect(eventsOf(t, h).at(-1)).toMatchObject({ type: 'transfer.release-approved', patch: { step: 'arrival', overdue: false } });

    // The arrival step has its own deadline (day 22.5): reminded and escalated in its turn, to the receiving side's
    // parent; the release's extended deadline (day 20) went with the release.
    await sleepDays(12.5); // day 25
    const arrival = deadlineEvents(t, h, startedAt).slice(release.length);
    expect(arrival.map((e) => [e.key, e.orgId, e.day])).toEqual([
      [`${pid}:arrival:1:reminder:0:0`, BRANCH3.id, 19.5],
      [`${pid}:arrival:1:reminder:0:1`, BRANCH3.id, 21.5],
      [`${pid}:arrival:1:overdue:0`, BRANCH3.id, 22.5],
      [`${pid}:arrival:1:escalation:2`, BRANCH3.id, 23.5],
      [`${pid}:arrival:1:escalation:3`, BRANCH3.id, 24.5],
    ]);
    expect(arrival.slice(2).map((e) => e.notify?.map((n) => n.recipientOrgId))).toEqual([
      [BRANCH3.id, COUNTY2.id],
      [BRANCH3.id, COUNTY2.id],
      [BRANCH3.id, COUNTY2.id],
    ]);
    await decide(h, { action: 'reject', actorId: 'actor-sec3', reason: 'unknown' });
    await h.result();
  });

  test('R9: a release not decided in time is approved automatically, and an arrival not decided in time lapses', async () => {
    const timing = {
      ...DEFAULT_TRANSFER_TIMING,
      release: { deadlineMs: 10 * DAY, reminderOffsetsMs: [], escalationIntervalMs: DAY, onTimeout: 'approve' as const },
      arrival: { deadlineMs: 10 * DAY, reminderOffsetsMs: [], escalationIntervalMs: DAY, onTimeout: 'lapse' as const },
    };
    const { h, pid } = await requested({ to: BRANCH2, timing });
    await sleepDays(9.5);
    expect(await stateOf(h)).toMatchObject({ step: 'release', status: 'pending' });
    await sleepDays(1); // day 10.5: the release was approved at its deadline
    expect(await stateOf(h)).toMatchObject({ step: 'arrival', status: 'pending', overdue: false });
    await sleepDays(9); // day 19.5
    expect(await stateOf(h)).toMatchObject({ step: 'arrival', status: 'pending' });
    await sleepDays(1); // day 20.5: the arrival lapsed at its deadline
    expect(await h.result()).toEqual({ processId: pid, status: 'lapsed' });

    expect(writesOf(t, h)).toEqual(['recordTransferRequested', 'transfer.release-approved', 'transfer.lapsed']);
    const [released, lapsed] = eventsOf(t, h);
    expect(released).toMatchObject({
      orgId: BRANCH1.id,
      actorId: 'system:timeout',
      payload: { reason: 'approved automatically at the deadline of "release" (R9)' },
      patch: { step: 'arrival' },
    });
    expect(released!.outcome).toBeUndefined();
    expect(lapsed).toMatchObject({
      orgId: BRANCH2.id,
      actorId: 'system:timeout',
      kind: 'transfer',
      outcome: 'lapsed',
      payload: { step: 'arrival' },
      patch: { status: 'lapsed', closed: true },
    });
    // No escalation: the timeout decided instead. The member stays where they were: nothing places them.
    expect(lapsed!.detail?.completeAt).toBeUndefined();
  });

  test('R12: a transfer to a branch not yet created waits for it, acted on by the organization that creates it; its creation moves it on to the arrival', async () => {
    const { h, pid } = await requested({ to: null, awaitOrg: { id: NEW_BRANCH_ID, parent: SCHOOL } });
    expect(await stepAfter(h, { action: 'approve', actorId: 'actor-sec1' })).toBe('awaiting-branch');
    expect(eventsOf(t, h).at(-1)).toMatchObject({ type: 'transfer.release-approved', patch: { step: 'awaiting-branch', org: { id: SCHOOL.id } } });
    expect(await refusal(decide(h, { action: 'approve', actorId: 'actor-school' }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: '"approve" is not possible at the step "awaiting-branch"',
    });

    await h.signal(orgChangedSignal, { orgId: 'org-unrelated' });
    await h.signal(orgChangedSignal, { orgId: NEW_BRANCH_ID });
    expect(await eventually(async () => ((await stateOf(h)).step === 'arrival' ? true : undefined), 'the arrival')).toBe(true);
    expect(t.callsOf(h.workflowId, 'resolveOrg').map((c) => (c.input as { orgId: string }).orgId)).toEqual([NEW_BRANCH_ID]);
    // Written once the transfer has moved on: under the new branch, which is told to decide the arrival.
    expect(eventsOf(t, h).at(-1)).toMatchObject({
      key: `${pid}:2:transfer.branch-created`,
      orgId: NEW_BRANCH_ID,
      notify: [{ recipientOrgId: NEW_BRANCH_ID, kind: 'task' }],
      payload: { branchId: NEW_BRANCH_ID },
      patch: { step: 'arrival', org: { id: NEW_BRANCH_ID } },
      detail: { toOrgId: NEW_BRANCH_ID },
    });
    await decide(h, { action: 'approve', actorId: 'actor-new-sec' });
    expect(await h.result()).toMatchObject({ status: 'approved' });
    expect(eventsOf(t, h).at(-1)).toMatchObject({ type: 'transfer.completed', orgId: NEW_BRANCH_ID, outcome: 'approved', detail: { completeAt: NEW_BRANCH } });
  });

  test("R10: inbound: the arrival-check-in step refuses every decision (R10): the receiving branch's check-in, a child process, decides; the other province's release completes it", async () => {
    const peer = { province: 'hk', transferId: randomUUID(), branchId: BRANCH3.id };
    const profile = { name: '李四', idNumber: '81000020000115002X', joinDate: '2018-05-04' };
    const { h, pid, input } = await requested({ direction: 'inbound', from: null, to: BRANCH3, peer, profile });
    expect(await stateOf(h)).toMatchObject({ step: 'arrival-check-in' });
    const decidedElsewhere = { kind: 'rule', rule: 'R10', message: "decide the receiving branch's check-in review of this member (R10)" };
    expect(await refusal(decide(h, { action: 'approve', actorId: 'actor-sec3' }))).toMatchObject(decidedElsewhere);
    expect(await refusal(decide(h, { action: 'reject', actorId: 'actor-sec3', reason: 'no' }))).toMatchObject(decidedElsewhere);

    // The check-in review runs as its own process, at the receiving branch, submitted by the other province.
    const child = t.client.workflow.getHandle(checkInWorkflowId(input.memberId));
    const recorded = await eventually(() => child.executeUpdate(recordedUpdate), 'the check-in review to start');
    expect(recorded.step).toBe('branch-review');
    expect(t.callsOf(child.workflowId, 'recordCheckInSubmitted').map((c) => c.input)).toEqual([
      expect.objectContaining({ input: expect.objectContaining({ memberId: input.memberId, branchId: BRANCH3.id, submittedBy: 'peer:hk', profile }) }),
    ]);
    await decide(child, { action: 'approve', actorId: 'actor-sec3' });
    expect(await child.result()).toMatchObject({ status: 'approved' });
    expect(await eventually(async () => ((await h.query(stateQuery)).step === 'peer-release' ? true : undefined), 'the wait for the release')).toBe(true);
    expect(await refusal(decide(h, { action: 'approve', actorId: 'actor-sec3' }))).toMatchObject({
      kind: 'rule',
      rule: 'R9',
      message: '"approve" is not possible at the step "peer-release"',
    });

    await h.signal(peerSignal, { type: 'release-confirmed' });
    expect(await h.result()).toEqual({ processId: pid, status: 'approved' });
    expect(eventsOf(t, h).map((e) => [e.type, e.orgId, e.actorId, e.kind, e.outcome])).toEqual([
      ['transfer.check-in-approved', BRANCH3.id, null, 'transfer', undefined],
      ['transfer.awaiting-release', BRANCH3.id, null, 'transfer', undefined],
      ['transfer.completed', BRANCH3.id, 'peer:hk', 'transfer', 'approved'],
    ]);
    expect(eventsOf(t, h).at(-1)).toMatchObject({ detail: { direction: 'inbound', completeAt: BRANCH3 } });
    // The other province hears of the arrival once, naming the receiving branch.
    expect(t.callsOf(h.workflowId, 'sendToPeer').map((c) => c.input as PeerSendInput)).toEqual([
      expect.objectContaining({ province: 'hk', transferId: peer.transferId, memberId: input.memberId, message: 'arrival-confirmed', branchId: BRANCH3.id }),
    ]);
  });
});
