// R22: the campaign task's read-model row, kept by the one event append (activities/processes.ts) in the event's
// transaction; the evaluation's hand-in is decided here, under the row's lock.
import { ApplicationFailure } from '@temporalio/common';
import type { Tx } from '../../db';
import { branchMembers } from '../../db/queries/campaign-members';
import { evaluationProblem } from '../../domain/campaign-plan';
import type { Projection } from '../processes';

/** The campaign task's row follows its process: step, deadline, overdue, when each phase was handed in, how it ended. */
export const campaignProjection: Projection = async (tx, e, now) => {
  if (e.type === 'campaign-task.evaluated') await checkHandIn(tx, e.processId);
  const patch = e.patch ?? {};
  const done = patch.closed ? { step: e.outcome === 'approved' ? ('done' as const) : ('unfinished' as const), closed_at: now, overdue: false } : {};
  const set = {
    ...(patch.step && !patch.closed ? { step: patch.step as 'evaluation', overdue: false } : {}),
    ...(patch.deadline ? { deadline: patch.deadline } : {}),
    ...(patch.overdue !== undefined ? { overdue: patch.overdue } : {}),
    ...(e.type === 'campaign-task.evaluated' ? { evaluated_at: now } : {}),
    ...(e.type === 'campaign-task.confirmed' ? { confirmed_at: now, returned_reason: null } : {}),
    // Returned: evaluated no more until handed in again.
    ...(e.type === 'campaign-task.returned' ? { returned_reason: String(e.payload?.reason ?? ''), evaluated_at: null } : {}),
    // The registration handed in (the first time; a follow-up of deferred members does not move it).
    ...(e.type === 'campaign-task.registration-submitted' && e.payload?.from === 'registration' ? { registered_at: now } : {}),
    ...done,
  };
  if (Object.keys(set).length === 0) return;
  await tx.updateTable('campaign_tasks').set(set).where('process_id', '=', e.processId).where('closed_at', 'is', null).execute();
};

/**
 * R22: the evaluation's hand-in decided against the grades as they are now: the task's row is locked (the grade
 * writes take the same lock and check the step, db/queries/campaign-records.ts), so a grade raised at the moment of the hand-in
 * is either counted here or refused there; over the cap (or a member ungraded) the hand-in is refused and nothing is
 * written (the workflow goes back to the evaluation step).
 */
async function checkHandIn(tx: Tx, processId: string): Promise<void> {
  const task = await tx
    .selectFrom('campaign_tasks as t')
    .innerJoin('campaigns as c', 'c.id', 't.campaign_id')
    .select(['t.org_id', 'c.id', 'c.year', 'c.excellent_cap'])
    .where('t.process_id', '=', processId)
    .forUpdate('t')
    .executeTakeFirst();
  if (!task) return;
  const problem = evaluationProblem(await branchMembers(tx, { id: task.id, year: task.year }, task.org_id), task.excellent_cap);
  if (problem)
    throw ApplicationFailure.create({ type: 'rule', message: problem, details: [{ kind: 'rule', message: problem, rule: 'R22' }], nonRetryable: true });
}
