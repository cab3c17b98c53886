// R3, fast: the steps of a process with several waiting steps (workflows/steps.ts ProcessSteps), through a test
// workflow with a small step table. The shared deadline hooks write through `recordProcessEvent`, stubbed here.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ProcessEventInput } from '../../activities/processes';
import type { DecisionCommand } from '../../domain/processes';
import { SA } from '../../domain/search-attributes';
import { decideUpdate, stateQuery } from '../../processes/messages';
import { DAY, HOUR, fastEnv } from './env';
import { BRANCH, CITY, GENERAL_BRANCH, STEP_TABLE, TEST_RULE, releaseUpdate, stepsQuery, stepsWorkflow } from './workflows/steps';

const t = fastEnv({ workflowsPath: fileURLToPath(new URL('./workflows/steps.ts', import.meta.url)), activities: ['recordProcessEvent'] });

type Handle = WorkflowHandle<typeof stepsWorkflow>;

let n = 0;
async function started(linger = false): Promise<{ h: Handle; pid: string; startedAt: number }> {
  const pid = `proc-${++n}`;
  const h = await t.start(stepsWorkflow, { args: [{ processId: pid, memberId: `member-${n}`, linger }] });
  const { startedAt } = await h.query(stepsQuery);
  return { h, pid, startedAt };
}

/** The events the process wrote so far; `day` (since start, to the hour) for those the server scheduled. */
function events(h: Handle, startedAt: number) {
  return t.callsOf(h.workflowId, 'recordProcessEvent').map((c) => {
    const e = c.input as ProcessEventInput;
    return { key: e.key, type: e.type, orgId: e.orgId, day: c.local ? undefined : dayOf(c.scheduledAt, startedAt), e };
  });
}

/** Days since `startedAt`, to the hour (the test server's clock also runs on in real time between time skips). */
const dayOf = (at: number | string, startedAt: number) => Math.round(((typeof at === 'string' ? Date.parse(at) : at) - startedAt) / HOUR) / 24;

const keysAndDays = (h: Handle, startedAt: number) => events(h, startedAt).map(({ key, day }) => [key, day]);

const decide = (h: Handle, cmd: Omit<DecisionCommand, 'actorId'>) => h.executeUpdate(decideUpdate, { args: [{ actorId: 'actor-1', ...cmd }] });

const sleepDays = (days: number) => t.env.sleep(days * DAY);

/** The refusal a validator threw, as the caller sees it. */
async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (e as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('ProcessSteps (R3)', () => {
  test('R3: each step visit has its own deadline watch and event-key prefix: a step visited twice keys its reminders apart', async () => {
    const { h, pid, startedAt } = await started();
    const first = await h.query(stepsQuery);
    expect(first).toMatchObject({ step: 'filing', visits: 0, keyPrefix: `${pid}:filing:0`, actingOrgId: BRANCH.id });
    expect(dayOf(first.deadline, startedAt)).toBe(5);

    await sleepDays(4.5); // the branch is reminded a day before its deadline (day 5)
    expect(events(h, startedAt)).toEqual([
      {
        key: `${pid}:filing:0:reminder:0:0`,
        type: 'deadline.reminder',
        orgId: BRANCH.id,
        day: 4,
        e: expect.objectContaining({ notify: [{ recipientOrgId: BRANCH.id, kind: 'reminder', message: `${STEP_TABLE.filing.label}: due in 1d` }] }),
      },
    ]);

    await decide(h, { action: 'approve', step: 'filing' }); // day 4.5: on to the review, due day 14.5
    await sleepDays(2); // day 6.5: the filing's own deadline (day 5) passed unnoticed, its watch is gone
    expect(events(h, startedAt)).toHaveLength(1);
    await decide(h, { action: 'return', step: 'review' }); // back to the branch: a second visit of "filing", due day 11.5
    const again = await h.query(stepsQuery);
    expect(again).toMatchObject({ step: 'filing', visits: 2, keyPrefix: `${pid}:filing:2`, actingOrgId: BRANCH.id });
    expect(dayOf(again.deadline, startedAt)).toBe(11.5);

    await sleepDays(5.5); // day 12: reminded at 10.5, overdue at 11.5; the review's reminder (day 11.5) never comes
    expect(keysAndDays(h, startedAt)).toEqual([
      [`${pid}:filing:0:reminder:0:0`, 4],
      [`${pid}:filing:2:reminder:0:0`, 10.5],
      [`${pid}:filing:2:overdue:0`, 11.5],
    ]);
    const overdue = events(h, startedAt)[2]!.e;
    expect(overdue).toMatchObject({
      type: 'deadline.overdue',
      orgId: BRANCH.id,
      payload: { round: 0, escalation: 1, escalatedTo: GENERAL_BRANCH.id },
      patch: { overdue: true },
    });
    expect(overdue.notify?.map((x) => x.recipientOrgId)).toEqual([BRANCH.id, GENERAL_BRANCH.id]);
    expect((await h.describe()).typedSearchAttributes.get(SA.overdue)).toBe(true);
    await decide(h, { action: 'withdraw' });
    await h.result();
  });

  test('R3: refuseUnlessAt refuses a decision naming a step the process has moved on from (a conflict), and any decision once it is closed', async () => {
    const { h } = await started(true);
    await decide(h, { action: 'approve', step: 'filing' });

    const stale = await refusal(decide(h, { action: 'approve', step: 'filing' }));
    expect(stale.type).toBe('conflict');
    expect(stale.message).toContain('has moved on to the step "review"');
    expect(stale.details).toEqual([expect.objectContaining({ kind: 'conflict', rule: TEST_RULE })]);
    // Refused in the validator: nothing happened.
    expect(await h.query(stepsQuery)).toMatchObject({ step: 'review', visits: 1, patches: [expect.objectContaining({ step: 'review' })] });

    // A decision naming the current step, or none, is taken.
    await decide(h, { action: 'approve', step: 'review' });
    expect(await h.query(stateQuery)).toMatchObject({ status: 'approved', step: 'closed' });

    const closed = await refusal(decide(h, { action: 'return', reason: 'too late' }));
    expect(closed.type).toBe('conflict');
    expect(closed.message).toContain('already approved');
    await h.executeUpdate(releaseUpdate);
    expect(await h.result()).toMatchObject({ status: 'approved', step: 'closed' });
  });

  test("R3: an extension moves only the current step's deadline; the next step gets its own, and keeps its reminders in round 0", async () => {
    const { h, pid, startedAt } = await started();
    await sleepDays(1);
    const until = new Date(startedAt + 8 * DAY).toISOString();
    const answer = await decide(h, { action: 'extend', step: 'filing', until, reason: 'materials late' });
    expect(answer).toEqual({ status: 'pending', deadline: until });
    expect(events(h, startedAt).map(({ key, type, e }) => ({ key, type, patch: e.patch }))).toEqual([
      { key: `${pid}:filing:0:extended:1`, type: 'deadline.extended', patch: { deadline: until, overdue: false } },
    ]);
    expect((await h.describe()).typedSearchAttributes.get(SA.deadline)?.toISOString()).toBe(until);

    // An extension must move the deadline later (a validator refusal, rule R3).
    const earlier = await refusal(decide(h, { action: 'extend', step: 'filing', until: new Date(startedAt + 3 * DAY).toISOString(), reason: 'x' }));
    expect(earlier).toMatchObject({ type: 'rule', message: 'an extension must move the deadline later' });

    await sleepDays(6.5); // day 7.5: past the first deadline (day 5) in silence; reminded a day before the new one
    expect(keysAndDays(h, startedAt)).toEqual([
      [`${pid}:filing:0:extended:1`, undefined],
      [`${pid}:filing:0:reminder:1:0`, 7],
    ]);
    expect(await h.query(stateQuery)).toMatchObject({ step: 'filing', overdue: false, deadline: until, escalations: 0 });

    await decide(h, { action: 'approve', step: 'filing' }); // the review is due on day 17.5: its own 10 days
    const review = await h.query(stepsQuery);
    expect([review.step, dayOf(review.deadline, startedAt)]).toEqual(['review', 17.5]);
    await sleepDays(11.5); // day 19
    expect(keysAndDays(h, startedAt).slice(2)).toEqual([
      [`${pid}:review:1:reminder:0:0`, 14.5],
      [`${pid}:review:1:reminder:0:1`, 16.5],
      [`${pid}:review:1:overdue:0`, 17.5],
      [`${pid}:review:1:escalation:2`, 18.5],
    ]);
    const escalation = events(h, startedAt).at(-1)!.e;
    expect(escalation).toMatchObject({ orgId: GENERAL_BRANCH.id, payload: { escalation: 2, escalatedTo: CITY.id } });
    await decide(h, { action: 'withdraw' });
    await h.result();
  });

  test('R3: close() hands the process back to its home organization, whoever acted last', async () => {
    const { h, startedAt } = await started();
    await decide(h, { action: 'approve' });
    let sa = (await h.describe()).typedSearchAttributes;
    expect([sa.get(SA.org), sa.get(SA.orgPath)]).toEqual([GENERAL_BRANCH.id, ['org-city', 'org-gb']]);

    await decide(h, { action: 'approve' }); // the general branch approves: closed
    const state = await h.result();
    expect(state).toMatchObject({ status: 'approved', step: 'closed', overdue: false });
    sa = (await h.describe()).typedSearchAttributes;
    expect([sa.get(SA.org), sa.get(SA.orgPath), sa.get(SA.status), sa.get(SA.overdue)]).toEqual([
      BRANCH.id,
      ['org-city', 'org-gb', 'org-branch'],
      'approved',
      false,
    ]);
    const { patches } = await h.query(stepsQuery);
    expect(patches).toEqual([
      { step: 'review', org: { id: GENERAL_BRANCH.id, path: GENERAL_BRANCH.path }, deadline: expect.any(String), overdue: false },
      { status: 'approved', step: 'closed', closed: true, org: { id: BRANCH.id, path: BRANCH.path } },
    ]);
    expect(dayOf(patches[0]!.deadline!, startedAt)).toBe(10);
  });
});
