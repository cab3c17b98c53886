// The check-in review (R1-R4): pending until the branch approves or returns it, or the member withdraws it;
// reminded before and escalated after its 10-day deadline, which a committee above may extend.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  defineUpdate,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CheckInActivities } from '../activities/check-in';
import type { ProcessActivities } from '../activities/processes';
import type { CheckInInput } from '../domain/check-in';
import type { DecisionResult, ProcessStatus } from '../domain/processes';
import { SA } from '../domain/search-attributes';
import { DeadlineWatch } from './deadline';
import { recordedUpdate, type ProcessDefinition } from './definition';
import { checkInWorkflowId } from '../domain/workflow-ids';
import {
  ACTIVITY_OPTIONS,
  LOCAL_ACTIVITY_OPTIONS,
  applicationFailureIn,
  deadlineHooks,
  decideUpdate,
  decisionShapeProblem,
  extendDeadline,
  extensionProblem,
  recorder,
  refuse,
  stateQuery,
} from './common';

export { decideUpdate, stateQuery };
/** Early return: the API's start answers once the submission is recorded (or refused). */
export const submittedUpdate = defineUpdate<{ processId: string; deadline: string }>('submitted');

/** R1-R3: one step, the branch's review; the member withdraws, the branch approves or returns with a reason. */
export const checkInProcess: ProcessDefinition<'branch-review', CheckInInput> = {
  kind: 'check-in',
  noun: 'check-in',
  rule: 'R2',
  workflowId: checkInWorkflowId,
  legacyRecordedUpdate: 'submitted',
  first: () => 'branch-review',
  steps: {
    'branch-review': {
      label: 'Check-in review',
      acting: (input) => ({ id: input.branchId, path: input.branchPath, parentId: input.parentOrgId, kind: 'branch' }),
      timing: (input) => input.timing,
      decisions: {
        approve: { rule: 'R2' },
        return: { rule: 'R2', reason: true },
        withdraw: { rule: 'R2' },
        extend: { rule: 'R3' },
      },
    },
  },
};

const remote = proxyActivities<CheckInActivities & ProcessActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<CheckInActivities & ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);

const OUTCOME = { approve: 'approved', return: 'returned', withdraw: 'withdrawn' } as const;

export async function checkIn(input: CheckInInput): Promise<{ processId: string; status: ProcessStatus }> {
  const submittedAt = Date.now();
  let status: ProcessStatus = 'pending';
  let recorded = false;
  let refusal: ApplicationFailure | undefined;
  const isDone = () => status !== 'pending';
  /** Handlers act only once the submission is recorded; if the database refused it, they fail with that. */
  const ready = async () => {
    await condition(() => recorded || refusal !== undefined);
    if (refusal) throw refusal;
  };

  const context = () => ({
    processId: input.processId,
    memberId: input.memberId,
    orgId: input.branchId,
    parentOrgId: input.parentOrgId,
    stepLabel: 'Check-in review',
  });
  const watch = new DeadlineWatch(submittedAt + input.timing.deadlineMs, input.timing, deadlineHooks(context));

  setHandler(stateQuery, () => ({
    processId: input.processId,
    status,
    step: isDone() ? 'closed' : 'branch-review',
    deadline: new Date(watch.deadline).toISOString(),
    overdue: watch.overdue,
    remindersSent: watch.remindersSent,
    escalations: watch.escalations,
  }));

  setHandler(
    decideUpdate,
    async (cmd): Promise<DecisionResult> => {
      if (cmd.action === 'extend') {
        await extendDeadline(watch, cmd, { ...context(), key: input.processId }, ready);
        return { status, deadline: new Date(watch.deadline).toISOString() };
      }
      // Set synchronously, so a second decision in the same moment fails validation (exactly one wins).
      status = OUTCOME[cmd.action as keyof typeof OUTCOME];
      upsertSearchAttributes([
        { key: SA.status, value: status },
        { key: SA.overdue, value: false },
      ]);
      await ready();
      await recorder(remote, local).recordCheckInDecision({
        key: `${input.processId}:decision`,
        processId: input.processId,
        memberId: input.memberId,
        branchId: input.branchId,
        outcome: status as 'approved' | 'returned' | 'withdrawn',
        actorId: cmd.actorId,
        reason: cmd.reason,
      });
      return { status, deadline: new Date(watch.deadline).toISOString() };
    },
    {
      validator: (cmd) => {
        const shape = decisionShapeProblem(cmd);
        if (shape) refuse('invalid', `bad decision: ${shape}`);
        if (status !== 'pending') refuse('conflict', `this check-in is already ${status}`);
        if (cmd.action !== 'extend' && !(cmd.action in OUTCOME)) refuse('rule', `a check-in has no "${cmd.action}" decision`, 'R2');
        if (cmd.action === 'return' && !cmd.reason) refuse('rule', 'a returned check-in needs a reason', 'R2');
        if (cmd.action === 'extend') extensionProblem(cmd, watch);
      },
    },
  );

  const answerRecorded = async () => {
    await ready();
    return { processId: input.processId, step: 'branch-review', deadline: new Date(watch.deadline).toISOString() };
  };
  setHandler(recordedUpdate, answerRecorded);
  setHandler(submittedUpdate, answerRecorded);

  try {
    await recorder(remote, local).recordCheckInSubmitted({
      input,
      submittedAt: new Date(submittedAt).toISOString(),
      deadline: new Date(watch.deadline).toISOString(),
    });
  } catch (e) {
    // The database refused it (e.g. a concurrent check-in took the ID number): nothing was written.
    const failure = applicationFailureIn(e);
    if (failure?.type === 'conflict') {
      refusal = failure;
      status = 'rejected';
      await condition(allHandlersFinished);
      return { processId: input.processId, status };
    }
    throw e;
  }
  recorded = true;

  try {
    await watch.run(isDone);
    await condition(() => isDone() && allHandlersFinished());
  } catch (e) {
    // Cancelled by a parent (an inbound transfer the other province called off, R10): closed as withdrawn.
    if (!isCancellation(e) || isDone()) throw e;
    status = 'withdrawn';
    await CancellationScope.nonCancellable(() =>
      recorder(remote, local).recordCheckInDecision({
        key: `${input.processId}:decision`,
        processId: input.processId,
        memberId: input.memberId,
        branchId: input.branchId,
        outcome: 'withdrawn',
        actorId: 'system:cancelled',
        reason: 'the transfer it belonged to was called off',
      }),
    );
  }
  return { processId: input.processId, status };
}
