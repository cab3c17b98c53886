// R3/R9, fast: the deadline and escalation mechanism every waiting step uses (workflows/deadline.ts), run inside a
// test workflow on the time-skipping test server. The durations are the real ones (days); no test waits for them.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import type { WorkflowHandle } from '@temporalio/client';
import { DAY, HOUR, fastEnv } from './env';
import { closeUpdate, deadlineWatchWorkflow, extendUpdate, finishUpdate, watchQuery, type Note } from './workflows/deadline';

const t = fastEnv({ workflowsPath: fileURLToPath(new URL('./workflows/deadline.ts', import.meta.url)), activities: ['note'] });

/** R3's defaults: 10 days; reminders 3 days and 1 day before; escalation repeated daily while overdue. */
const R3 = { deadlineMs: 10 * DAY, timing: { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: 1 * DAY } };

type Handle = WorkflowHandle<typeof deadlineWatchWorkflow>;

/** Days since the workflow started, to the hour: a hook runs a few (real) milliseconds after its timer fired. */
const day = (at: number, startedAt: number) => Math.round((at - startedAt) / HOUR) / 24;

/** The hooks the watch called so far, each with the day (since start) it ran on. */
function notes(h: Handle, startedAt: number): (Omit<Note, 'at'> & { day: number })[] {
  return t.callsOf(h.workflowId, 'note').map((c) => {
    const { at, ...rest } = c.input as Note;
    return { ...rest, day: day(at, startedAt) };
  });
}

/** Starts the test workflow (its deadline counts from its start). */
async function started(input = R3): Promise<{ h: Handle; startedAt: number }> {
  const h = await t.start(deadlineWatchWorkflow, { args: [input] });
  const { startedAt } = await h.query(watchQuery);
  return { h, startedAt };
}

const sleepDays = (days: number) => t.env.sleep(days * DAY);

async function close(h: Handle) {
  await h.executeUpdate(closeUpdate);
  await h.result();
}

describe('DeadlineWatch (R3, R9)', () => {
  test('R3: a reminder goes out at each offset before the deadline, the step is overdue at it and escalated again every interval', async () => {
    const { h, startedAt } = await started();
    await sleepDays(7.5);
    expect(notes(h, startedAt)).toEqual([{ hook: 'reminder', round: 0, index: 0, offsetMs: 3 * DAY, day: 7 }]);
    expect(await h.query(watchQuery)).toMatchObject({ overdue: false, remindersSent: 1, escalations: 0 });

    await sleepDays(6); // day 13.5
    expect(notes(h, startedAt)).toEqual([
      { hook: 'reminder', round: 0, index: 0, offsetMs: 3 * DAY, day: 7 },
      { hook: 'reminder', round: 0, index: 1, offsetMs: 1 * DAY, day: 9 },
      { hook: 'overdue', round: 0, escalation: 1, day: 10 },
      { hook: 'escalate', escalation: 2, day: 11 },
      { hook: 'escalate', escalation: 3, day: 12 },
      { hook: 'escalate', escalation: 4, day: 13 },
    ]);
    expect(await h.query(watchQuery)).toMatchObject({ overdue: true, remindersSent: 2, escalations: 4, round: 0 });
    await close(h);
  });

  test('R9: the escalation interval is configuration: escalated every 12 hours while overdue, with no reminders configured', async () => {
    const { h, startedAt } = await started({ deadlineMs: 2 * DAY, timing: { deadlineMs: 2 * DAY, reminderOffsetsMs: [], escalationIntervalMs: 12 * HOUR } });
    await sleepDays(3.75);
    expect(notes(h, startedAt)).toEqual([
      { hook: 'overdue', round: 0, escalation: 1, day: 2 },
      { hook: 'escalate', escalation: 2, day: 2.5 },
      { hook: 'escalate', escalation: 3, day: 3 },
      { hook: 'escalate', escalation: 4, day: 3.5 },
    ]);
    await close(h);
  });

  test('R3: an extension starts the reminders over for the new deadline and clears overdue; escalation resumes only at the new deadline', async () => {
    const { h, startedAt } = await started();
    await sleepDays(11.5);
    expect(notes(h, startedAt).map((n) => [n.hook, n.day])).toEqual([
      ['reminder', 7],
      ['reminder', 9],
      ['overdue', 10],
      ['escalate', 11],
    ]);
    expect(await h.query(watchQuery)).toMatchObject({ overdue: true, escalations: 2 });

    const view = await h.executeUpdate(extendUpdate, { args: [20 * DAY] });
    expect(view).toMatchObject({ round: 1, overdue: false, deadline: startedAt + 20 * DAY });

    await sleepDays(10); // day 21.5
    expect(notes(h, startedAt).slice(4)).toEqual([
      { hook: 'reminder', round: 1, index: 0, offsetMs: 3 * DAY, day: 17 },
      { hook: 'reminder', round: 1, index: 1, offsetMs: 1 * DAY, day: 19 },
      { hook: 'overdue', round: 1, escalation: 3, day: 20 },
      { hook: 'escalate', escalation: 4, day: 21 },
    ]);
    expect(await h.query(watchQuery)).toMatchObject({ round: 1, overdue: true, remindersSent: 4, escalations: 4 });
    await close(h);
  });

  test('R3: after a short extension with several reminders already due, only the latest of them is sent', async () => {
    const { h, startedAt } = await started();
    await sleepDays(11.5);
    // Half a day more: the reminders 3 days (day 9) and 1 day (day 11) before the new deadline are both past.
    await h.executeUpdate(extendUpdate, { args: [12 * DAY] });
    await sleepDays(2); // day 13.5
    expect(notes(h, startedAt).slice(4)).toEqual([
      { hook: 'reminder', round: 1, index: 1, offsetMs: 1 * DAY, day: 11.5 },
      { hook: 'overdue', round: 1, escalation: 3, day: 12 },
      { hook: 'escalate', escalation: 4, day: 13 },
    ]);
    expect(await h.query(watchQuery)).toMatchObject({ remindersSent: 3, escalations: 4 });
    await close(h);
  });

  test('R3: nothing fires once the step is done: no reminder, no overdue, no escalation', async () => {
    const { h, startedAt } = await started();
    await sleepDays(8);
    await h.executeUpdate(finishUpdate);
    await sleepDays(30); // past the deadline and a month of would-be escalations; the workflow is still open
    expect(notes(h, startedAt)).toEqual([{ hook: 'reminder', round: 0, index: 0, offsetMs: 3 * DAY, day: 7 }]);
    expect(await h.query(watchQuery)).toMatchObject({ running: false, remindersSent: 1, escalations: 0, overdue: false });
    await close(h);
  });

  test('R3: a step done while overdue is escalated no more', async () => {
    const { h, startedAt } = await started();
    await sleepDays(12.5);
    await h.executeUpdate(finishUpdate);
    await sleepDays(30);
    expect(notes(h, startedAt).map((n) => [n.hook, n.day])).toEqual([
      ['reminder', 7],
      ['reminder', 9],
      ['overdue', 10],
      ['escalate', 11],
      ['escalate', 12],
    ]);
    expect(await h.query(watchQuery)).toMatchObject({ running: false, overdue: true, escalations: 3 });
    await close(h);
  });
});
