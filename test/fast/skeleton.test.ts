// The process skeleton (workflows/process.ts), fast: a test process declared like the real ones
// (test/fast/workflows/skeleton.ts) on the time-skipping test server, its writes stubbed.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ProcessEventInput } from '../../activities/processes';
import type { DecisionCommand } from '../../domain/processes';
import { SA } from '../../domain/search-attributes';
import { decideUpdate, stateQuery } from '../../processes/messages';
import { recordedUpdate } from '../../processes/messages';
import type { Recorded } from '../../processes/definition';
import { DAY, HOUR, fastEnv } from './env';
import { BRANCH, GENERAL_BRANCH, skeletonWorkflow, type OpenInput } from './workflows/skeleton';

const t = fastEnv({
  workflowsPath: fileURLToPath(new URL('./workflows/skeleton.ts', import.meta.url)),
  activities: ['openTestProcess', 'recordProcessEvent'],
  respond: {
    openTestProcess: (input) => {
      if ((input as OpenInput).refuse)
        throw ApplicationFailure.create({ type: 'conflict', message: 'the member already has an open test process', nonRetryable: true });
    },
  },
});

type Handle = WorkflowHandle<typeof skeletonWorkflow>;

let n = 0;
/** As the API starts a process: update-with-start of the "recorded" update, answered once the first write is done. */
async function started(opts: { refuseOpen?: boolean } = {}): Promise<{ h: Handle; pid: string; recorded: Promise<Recorded> }> {
  const pid = `proc-${++n}`;
  const start = new WithStartWorkflowOperation(skeletonWorkflow, {
    workflowId: `skeleton-${randomUUID()}`,
    taskQueue: t.taskQueue,
    workflowIdConflictPolicy: 'FAIL',
    args: [{ processId: pid, memberId: `member-${n}`, ...opts }],
  });
  const recorded = t.client.workflow.executeUpdateWithStart(recordedUpdate, { startWorkflowOperation: start });
  recorded.catch(() => {}); // awaited by the tests that look at it
  return { h: await start.workflowHandle(), pid, recorded };
}

const decide = (h: Handle, cmd: Omit<DecisionCommand, 'actorId'>) => h.executeUpdate(decideUpdate, { args: [{ actorId: 'actor-1', ...cmd }] });

const events = (h: Handle) => t.callsOf(h.workflowId, 'recordProcessEvent').map((c) => c.input as ProcessEventInput);

/** Days from `from` to `at`, to the hour (the test server's clock also runs on in real time between time skips). */
const daysBetween = (from: number, at: number | string) => Math.round(((typeof at === 'string' ? Date.parse(at) : at) - from) / HOUR) / 24;

async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((e as WorkflowUpdateFailedError).cause).toBeInstanceOf(ApplicationFailure);
  return (e as WorkflowUpdateFailedError).cause as ApplicationFailure;
}

describe('the process skeleton', () => {
  test('the "recorded" update answers once the first write is done: the first step, its acting organization and deadline', async () => {
    const { h, pid, recorded: answer } = await started();
    const recorded = await answer;
    expect(recorded).toMatchObject({ processId: pid, step: 'filing' });
    const [open] = t.callsOf(h.workflowId, 'openTestProcess');
    expect((open?.input as OpenInput).first).toEqual({ step: 'filing', org: { id: BRANCH.id, path: BRANCH.path }, deadline: recorded.deadline });
    expect(await h.query(stateQuery)).toMatchObject({ processId: pid, status: 'pending', step: 'filing', deadline: recorded.deadline });
    await decide(h, { action: 'withdraw' });
    expect(await h.result()).toMatchObject({ processId: pid, status: 'withdrawn', step: 'closed' });
  });

  test('a first write the database refuses ends the process rejected; the "recorded" update fails with that refusal and nothing else is written', async () => {
    const { h, pid, recorded } = await started({ refuseOpen: true });
    const failure = await refusal(recorded);
    expect(failure).toMatchObject({ type: 'conflict', message: 'the member already has an open test process' });
    expect(await h.result()).toMatchObject({ processId: pid, status: 'rejected' });
    await t.env.sleep(30 * DAY);
    expect(events(h)).toEqual([]);
    expect(t.callsOf(h.workflowId, 'openTestProcess')).toHaveLength(1);
  });

  test("the declaration's validator: an action the step does not take, the wrong role, a missing reason and a stale step are refused with their rules", async () => {
    const { h, recorded } = await started();
    await recorded;
    expect(await refusal(decide(h, { action: 'reject', reason: 'no' }))).toMatchObject({
      type: 'rule',
      message: '"reject" is not possible at the step "filing"',
    });
    const role = await refusal(decide(h, { action: 'approve', actorRole: 'gb_admin' }));
    expect(role.type).toBe('forbidden');
    expect(role.details).toEqual([expect.objectContaining({ rule: 'T1' })]);
    expect(await refusal(decide(h, { action: 'withdraw', reason: 42 as unknown as string }))).toMatchObject({ type: 'invalid' });

    await decide(h, { action: 'approve', actorRole: 'branch_secretary', step: 'filing' });
    const reason = await refusal(decide(h, { action: 'return', actorRole: 'gb_admin' }));
    expect(reason.type).toBe('rule');
    expect(reason.details).toEqual([expect.objectContaining({ rule: 'T3' })]);
    const stale = await refusal(decide(h, { action: 'approve', actorRole: 'branch_secretary', step: 'filing' }));
    expect(stale.type).toBe('conflict');
    expect(stale.details).toEqual([expect.objectContaining({ rule: 'T0' })]);

    // Refused decisions wrote nothing: one event, the filing.
    expect(events(h).map((e) => e.type)).toEqual(['test.filed']);
    await decide(h, { action: 'approve', actorRole: 'gb_admin' });
    await h.result();
  });

  test("one event append: keyed by the process and a sequence number, the process's kind on every event, the outcome on the closing one only", async () => {
    const { h, pid, recorded } = await started();
    await recorded;
    await decide(h, { action: 'approve', actorRole: 'branch_secretary' });
    await decide(h, { action: 'return', actorRole: 'gb_admin', reason: 'signature missing' });
    await decide(h, { action: 'approve', actorRole: 'branch_secretary' });
    await decide(h, { action: 'approve', actorRole: 'gb_admin' });
    expect(await h.result()).toMatchObject({ status: 'approved', step: 'closed' });
    expect(events(h).map((e) => [e.key, e.type, e.kind, e.outcome])).toEqual([
      [`${pid}:1:test.filed`, 'test.filed', 'deletion', undefined],
      [`${pid}:2:test.returned`, 'test.returned', 'deletion', undefined],
      [`${pid}:3:test.filed`, 'test.filed', 'deletion', undefined],
      [`${pid}:4:test.approved`, 'test.approved', 'deletion', 'approved'],
    ]);
    const returned = events(h)[1]!;
    expect(returned).toMatchObject({
      processId: pid,
      memberId: expect.stringMatching(/^member-/),
      payload: { from: 'review' },
      patch: { step: 'filing', org: { id: BRANCH.id } },
    });
  });

  test('R3 on the skeleton: each step visit runs under its own deadline watch, an extension moves only the current one, and closing hands the process back home', async () => {
    const { h, pid, recorded } = await started();
    const { deadline } = await recorded;
    const startedAt = Date.parse(deadline) - 5 * DAY;
    await t.env.sleep(1 * DAY);
    const until = new Date(startedAt + 8 * DAY).toISOString();
    expect(await decide(h, { action: 'extend', until, reason: 'materials late' })).toEqual({ status: 'pending', deadline: until });
    await t.env.sleep(6.5 * DAY); // day 7.5: reminded a day before the extended deadline, not overdue at the first one
    await decide(h, { action: 'approve', actorRole: 'branch_secretary' }); // on to the review, due day 17.5
    await t.env.sleep(11.5 * DAY); // day 19
    const deadlineEvents = events(h).filter((e) => e.type.startsWith('deadline.'));
    expect(deadlineEvents.map((e) => e.key)).toEqual([
      `${pid}:filing:0:extended:1`,
      `${pid}:filing:0:reminder:1:0`,
      `${pid}:review:1:reminder:0:0`,
      `${pid}:review:1:reminder:0:1`,
      `${pid}:review:1:overdue:0`,
      `${pid}:review:1:escalation:2`,
    ]);
    const reminders = t.callsOf(h.workflowId, 'recordProcessEvent').filter((c) => (c.input as ProcessEventInput).type === 'deadline.reminder');
    expect(reminders.map((c) => daysBetween(startedAt, c.scheduledAt))).toEqual([7, 14.5, 16.5]);
    expect(deadlineEvents.at(-1)).toMatchObject({ orgId: GENERAL_BRANCH.id, payload: { escalatedTo: 'org-city' } });

    await decide(h, { action: 'approve', actorRole: 'gb_admin' });
    await h.result();
    const sa = (await h.describe()).typedSearchAttributes;
    expect([sa.get(SA.org), sa.get(SA.status), sa.get(SA.overdue)]).toEqual([BRANCH.id, 'approved', false]);
    expect(events(h).at(-1)).toMatchObject({ type: 'test.approved', patch: { closed: true, org: { id: BRANCH.id, path: BRANCH.path } } });
  });
});
