// R1-R3, fast: the check-in's step table (workflows/check-in.ts `checkInProcess`) on the real workflow, its writes
// stubbed: one step, the branch's review, its outcomes, refusals and deadline. The durations are the real ones.
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { SubmittedInput } from '../../activities/check-in';
import type { ProcessEventInput } from '../../activities/processes';
import { decideUpdate } from '../../processes/messages';
import type { CheckInInput } from '../../domain/check-in';
import { checkIn } from '../../workflows/check-in';
import { DAY, fastEnv } from './env';
import { dayAt, deadlineEvents, decide, eventsOf, refusal, startProcess, stateOf, writesOf } from './processes';

/** For each event a decision wrote (by key): the update IDs the server had recorded as accepted when the write ran. */
const acceptedAtWrite = new Map<string, string[]>();

const t = fastEnv({
  workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
  activities: ['recordCheckInSubmitted', 'recordProcessEvent'],
  respond: {
    recordProcessEvent: async (input, call) => {
      const e = input as ProcessEventInput;
      if (e.actorId === undefined || e.actorId === null) return; // a timer's event, not a decision's
      const { events } = await t.client.workflow.getHandle(call.workflowId).fetchHistory();
      const accepted = (events ?? []).flatMap((ev) => ev.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId ?? []);
      acceptedAtWrite.set(e.key, accepted);
    },
  },
});

const SCHOOL = { id: 'org-sch', path: '/org-gd/org-sz/org-sch' };
const BRANCH = { id: 'org-b1', path: `${SCHOOL.path}/org-b1`, parentId: SCHOOL.id };

/** R3: 10 days; reminders 3 days and 1 day before; escalation daily while overdue. */
const TEN_DAYS = { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: DAY };

const SECRETARY = { actorId: 'actor-sec', actorRole: 'branch_secretary' };

type Handle = WorkflowHandle<Workflow>;

async function submitted(): Promise<{ h: Handle; pid: string; memberId: string; deadline: string; startedAt: number }> {
  const input: CheckInInput = {
    processId: randomUUID(),
    memberId: randomUUID(),
    branchId: BRANCH.id,
    branchPath: BRANCH.path,
    parentOrgId: BRANCH.parentId,
    submittedBy: 'actor-member',
    linkActorId: 'actor-member',
    profile: { name: '张三', idNumber: '11010520000115001X', joinDate: '2016-05-04' },
    timing: TEN_DAYS,
  };
  const { h, recorded, startedAt } = await startProcess(t, checkIn, input, TEN_DAYS.deadlineMs);
  expect(recorded).toMatchObject({ processId: input.processId, step: 'branch-review' });
  return { h, pid: input.processId, memberId: input.memberId, deadline: recorded.deadline, startedAt };
}

const sleepDays = (days: number) => t.env.sleep(days * DAY);

describe('check-in (R1-R3): the step table', () => {
  test("R1-R2: one step, the branch's review: it approves, returns with a reason, or the member withdraws; the outcome closes the check-in", async () => {
    const cases = [
      { cmd: { action: 'approve' as const, ...SECRETARY }, outcome: 'approved', payload: {} },
      {
        cmd: { action: 'return' as const, ...SECRETARY, reason: 'the join date is wrong' },
        outcome: 'returned',
        payload: { reason: 'the join date is wrong' },
      },
      { cmd: { action: 'withdraw' as const, actorId: 'actor-member', actorRole: 'member' }, outcome: 'withdrawn', payload: {} },
    ];
    for (const { cmd, outcome, payload } of cases) {
      const { h, pid, memberId, deadline } = await submitted();
      const [first] = t.callsOf(h.workflowId, 'recordCheckInSubmitted');
      expect(first?.input as SubmittedInput).toMatchObject({ input: { processId: pid, memberId, branchId: BRANCH.id }, deadline });
      expect(await stateOf(h)).toMatchObject({ step: 'branch-review', status: 'pending', deadline });

      expect(await decide(h, { ...cmd, step: 'branch-review' })).toMatchObject({ status: outcome });
      expect(await stateOf(h)).toMatchObject({ step: 'closed', status: outcome });
      expect(await h.result()).toEqual({ processId: pid, status: outcome });
      const events = eventsOf(t, h);
      expect(events.map((e) => [e.key, e.type, e.orgId, e.actorId, e.kind, e.outcome, e.payload])).toEqual([
        [`${pid}:1:check-in.${outcome}`, `check-in.${outcome}`, BRANCH.id, cmd.actorId, 'check-in', outcome, payload],
      ]);
      expect(events[0]).toMatchObject({ memberId, patch: { status: outcome, step: 'closed', closed: true }, notifyMember: expect.stringContaining(outcome) });
      // New runs append through the one event append, not the check-in's old activity.
      expect(writesOf(t, h)).toEqual(['recordCheckInSubmitted', `check-in.${outcome}`]);
    }
  });

  test('R2: the review refuses what it does not take (R2), a return without a reason and a decision for another step (conflict); refused decisions write nothing', async () => {
    const { h, pid, startedAt } = await submitted();
    expect(await refusal(decide(h, { action: 'reject', ...SECRETARY, reason: 'no' }))).toMatchObject({
      kind: 'rule',
      rule: 'R2',
      message: '"reject" is not possible at the step "branch-review"',
    });
    expect(
      await refusal(decide(h, { action: 'place', ...SECRETARY, branch: { id: 'org-b2', path: '/org-b2', parentId: null, kind: 'branch' } })),
    ).toMatchObject({ kind: 'rule', rule: 'R2' });
    expect(await refusal(decide(h, { action: 'return', ...SECRETARY }))).toMatchObject({ kind: 'rule', rule: 'R2', message: '"return" needs a reason' });
    expect(await refusal(decide(h, { action: 'approve', ...SECRETARY, step: 'arrival' }))).toMatchObject({ kind: 'conflict', rule: 'R2' });
    expect(await refusal(decide(h, { action: 'extend', actorId: 'actor-city', until: dayAt(startedAt, 5), reason: 'exams' }))).toMatchObject({
      kind: 'rule',
      rule: 'R3',
      message: 'an extension must move the deadline later',
    });
    expect(writesOf(t, h)).toEqual(['recordCheckInSubmitted']);
    expect(await stateOf(h)).toMatchObject({ step: 'branch-review', status: 'pending' });
    await decide(h, { action: 'approve', ...SECRETARY });
    expect(eventsOf(t, h).map((e) => e.key)).toEqual([`${pid}:1:check-in.approved`]);
  });

  test('R2/R3: a decision is recorded as accepted before its write runs, so a worker lost in between leaves no write of a decision that never happened', async () => {
    const { h, pid, startedAt } = await submitted();
    const extension = await h.executeUpdate(decideUpdate, {
      args: [{ action: 'extend', actorId: 'actor-city', actorRole: 'committee_admin', until: dayAt(startedAt, 15), reason: 'exams' }],
      updateId: `extend-${pid}`,
    });
    expect(extension).toMatchObject({ status: 'pending' });
    expect(await h.executeUpdate(decideUpdate, { args: [{ action: 'approve', ...SECRETARY }], updateId: `approve-${pid}` })).toMatchObject({
      status: 'approved',
    });
    const keys = eventsOf(t, h).map((e) => e.key);
    expect(keys).toEqual([expect.stringMatching(/:extended:/), `${pid}:1:check-in.approved`]);
    expect(acceptedAtWrite.get(keys[0]!)).toContain(`extend-${pid}`);
    expect(acceptedAtWrite.get(keys[1]!)).toContain(`approve-${pid}`);
  });

  test("R3: the review is reminded 3 days and 1 day before its 10-day deadline, overdue at it and escalated to the branch's parent daily; an extension starts it over", async () => {
    const { h, pid, startedAt } = await submitted();
    await sleepDays(12.5);
    const first = deadlineEvents(t, h, startedAt);
    expect(first.map((e) => [e.key, e.type, e.orgId, e.day])).toEqual([
      [`${pid}:branch-review:0:reminder:0:0`, 'deadline.reminder', BRANCH.id, 7],
      [`${pid}:branch-review:0:reminder:0:1`, 'deadline.reminder', BRANCH.id, 9],
      [`${pid}:branch-review:0:overdue:0`, 'deadline.overdue', BRANCH.id, 10],
      [`${pid}:branch-review:0:escalation:2`, 'deadline.escalated', BRANCH.id, 11],
      [`${pid}:branch-review:0:escalation:3`, 'deadline.escalated', BRANCH.id, 12],
    ]);
    expect(first[0]!.notify).toEqual([{ recipientOrgId: BRANCH.id, kind: 'reminder', message: 'Check-in review: due in 3d' }]);
    expect(first.slice(2).map((e) => e.notify?.map((n) => [n.recipientOrgId, n.kind]))).toEqual([
      [
        [BRANCH.id, 'escalation'],
        [SCHOOL.id, 'escalation'],
      ],
      [
        [BRANCH.id, 'escalation'],
        [SCHOOL.id, 'escalation'],
      ],
      [
        [BRANCH.id, 'escalation'],
        [SCHOOL.id, 'escalation'],
      ],
    ]);
    expect(await stateOf(h)).toMatchObject({ overdue: true, remindersSent: 2, escalations: 3 });

    // A committee above extends it to day 20: reminded again at days 17 and 19, overdue at 20.
    const until = dayAt(startedAt, 20);
    expect(await decide(h, { action: 'extend', actorId: 'actor-school', until, reason: 'exam week' })).toEqual({ status: 'pending', deadline: until });
    expect(await stateOf(h)).toMatchObject({ overdue: false, deadline: until });
    await sleepDays(8); // day 20.5
    expect(
      deadlineEvents(t, h, startedAt)
        .slice(first.length)
        .map((e) => [e.key, e.day]),
    ).toEqual([
      [`${pid}:branch-review:0:reminder:1:0`, 17],
      [`${pid}:branch-review:0:reminder:1:1`, 19],
      [`${pid}:branch-review:0:overdue:1`, 20],
    ]);
    expect(eventsOf(t, h).find((e) => e.type === 'deadline.extended')).toMatchObject({
      key: `${pid}:branch-review:0:extended:1`,
      orgId: BRANCH.id,
      actorId: 'actor-school',
      patch: { deadline: until, overdue: false },
    });

    // Deciding ends the watch: nothing more is written, however long it stays open.
    await decide(h, { action: 'approve', ...SECRETARY });
    await h.result();
    const written = writesOf(t, h).length;
    await sleepDays(5);
    expect(writesOf(t, h)).toHaveLength(written);
    expect(eventsOf(t, h).at(-1)).toMatchObject({ type: 'check-in.approved', outcome: 'approved', kind: 'check-in' });
  });
});
