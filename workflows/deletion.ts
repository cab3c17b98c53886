// Deleting a member (R14-R17): the branch applies, the city-level committee verifies and forwards, only the
// province approves or rejects; a return (R15, also in bulk) sends it back to the branch to be filed again.
// Every waiting step has its own deadline, reminders and escalation (the shared DeadlineWatch).
import { ApplicationFailure, allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { DeletionActivities } from '../activities/deletion';
import type { ProcessPatch } from '../activities/processes';
import type { DeletionInput, DeletionStep } from '../domain/deletions';
import type { DecisionCommand, DecisionResult, ProcessStatus } from '../domain/processes';
import type { OrgRef } from '../domain/transfers';
import { SA } from '../domain/search-attributes';
import { DeadlineWatch } from './deadline';
import {
  ACTIVITY_OPTIONS,
  LOCAL_ACTIVITY_OPTIONS,
  applicationFailureIn,
  deadlineHooks,
  decideUpdate,
  decisionShapeProblem,
  extendDeadline,
  extensionProblem,
  orgSearchAttributes,
  refuse,
  stateQuery,
} from './common';

/** Early return: the API's start answers once the application is recorded (or refused). */
export const deletionRecordedUpdate = defineUpdate<{ processId: string; step: DeletionStep; deadline: string }>('deletion-recorded');

const remote = proxyActivities<DeletionActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<DeletionActivities>(LOCAL_ACTIVITY_OPTIONS);

/** R14: who decides each step, and which decisions it takes. */
const ROLE: Record<DeletionStep, string> = {
  'city-review': 'committee_admin',
  'province-review': 'province_admin',
  'branch-recheck': 'branch_secretary',
};

const ACTIONS: Record<DeletionStep, DecisionCommand['action'][]> = {
  'city-review': ['approve', 'return', 'extend'],
  'province-review': ['approve', 'reject', 'return', 'extend'],
  'branch-recheck': ['approve', 'withdraw', 'extend'],
};

const LABEL: Record<DeletionStep, string> = {
  'city-review': 'Deletion: verification by the city-level committee',
  'province-review': 'Deletion: decision of the province',
  'branch-recheck': 'Deletion: re-check by the branch',
};

export async function deletion(input: DeletionInput): Promise<{ processId: string; status: ProcessStatus }> {
  const { processId, memberId } = input;
  let status: ProcessStatus = 'pending';
  let step: DeletionStep = 'city-review';
  let acting: OrgRef = actingOrg(step);
  let visit = 0;
  let watch = newWatch(step);
  let recorded = false;
  let refusal: ApplicationFailure | undefined;
  let sequence = 0;

  const ready = async () => {
    await condition(() => recorded || refusal !== undefined);
    if (refusal) throw refusal;
  };

  function actingOrg(s: DeletionStep): OrgRef {
    if (s === 'city-review') return input.city;
    if (s === 'province-review') return input.province;
    return input.branch;
  }

  function context() {
    // Each visit of a step keys its reminders and escalations apart (a step is visited again after a return).
    return { processId, memberId, orgId: acting.id, parentOrgId: acting.parentId, stepLabel: LABEL[step], keyPrefix: `${processId}:${step}:${visit}` };
  }

  function newWatch(s: DeletionStep): DeadlineWatch {
    const t = input.timing;
    const timing = s === 'city-review' ? t.cityReview : s === 'province-review' ? t.provinceReview : t.branchRecheck;
    return new DeadlineWatch(Date.now() + timing.deadlineMs, timing, deadlineHooks(context));
  }

  /** Moves to the next step: its acting organization, its own deadline; returns the read-model change. */
  function enter(next: DeletionStep): ProcessPatch {
    visit += 1;
    step = next;
    acting = actingOrg(next);
    watch = newWatch(next);
    upsertSearchAttributes([
      ...orgSearchAttributes(acting),
      { key: SA.deadline, value: new Date(watch.deadline) },
      { key: SA.overdue, value: false },
    ]);
    return { step: next, org: { id: acting.id, path: acting.path }, deadline: new Date(watch.deadline).toISOString(), overdue: false };
  }

  /** A closed deletion belongs to the member's branch again: readable by the branch and every level above (R14). */
  function close(outcome: ProcessStatus): ProcessPatch {
    status = outcome;
    upsertSearchAttributes([...orgSearchAttributes(input.branch), { key: SA.status, value: outcome }, { key: SA.overdue, value: false }]);
    return { status: outcome, step: 'closed', closed: true, org: { id: input.branch.id, path: input.branch.path } };
  }

  async function record(type: string, cmd: DecisionCommand, orgId: string, patch: ProcessPatch, payload: Record<string, unknown>, notifyOrg?: OrgRef) {
    sequence += 1;
    await ready();
    const closed = status !== 'pending';
    await local.recordDeletionEvent({
      key: `${processId}:${sequence}:${type}`,
      processId,
      memberId,
      orgId,
      type,
      actorId: cmd.actorId,
      payload: { ...(cmd.reason ? { reason: cmd.reason } : {}), ...payload },
      patch,
      ...(closed ? { outcome: status as 'approved' | 'rejected' | 'withdrawn' } : {}),
      ...(notifyOrg ? { notifyOrg: { id: notifyOrg.id, message: `${LABEL[step]}: your decision is needed` } } : {}),
      ...(closed ? { notifyMember: `The application to delete your membership was ${status}${cmd.reason ? `: ${cmd.reason}` : ''}.` } : {}),
    });
  }

  async function decide(cmd: DecisionCommand): Promise<void> {
    const at = step;
    const orgId = acting.id;
    if (cmd.action === 'return') {
      // R15: back to the branch, which checks it and files it again (or withdraws it).
      const patch = enter('branch-recheck');
      return record('deletion.returned', cmd, orgId, patch, { step: at }, input.branch);
    }
    if (cmd.action === 'reject' || cmd.action === 'withdraw') {
      const patch = close(cmd.action === 'reject' ? 'rejected' : 'withdrawn');
      return record(`deletion.${status}`, cmd, orgId, patch, { step: at });
    }
    if (at === 'city-review') return record('deletion.forwarded', cmd, orgId, enter('province-review'), {}, input.province);
    if (at === 'branch-recheck') return record('deletion.refiled', cmd, orgId, enter('city-review'), {}, input.city);
    return record('deletion.approved', cmd, orgId, close('approved'), {});
  }

  setHandler(stateQuery, () => ({
    processId,
    status,
    step: status === 'pending' ? step : 'closed',
    deadline: new Date(watch.deadline).toISOString(),
    overdue: watch.overdue,
    remindersSent: watch.remindersSent,
    escalations: watch.escalations,
  }));

  setHandler(
    decideUpdate,
    async (cmd): Promise<DecisionResult> => {
      if (cmd.action === 'extend') {
        await extendDeadline(watch, cmd, { ...context(), key: context().keyPrefix }, ready);
      } else {
        await decide(cmd);
      }
      return { status, deadline: new Date(watch.deadline).toISOString() };
    },
    {
      validator: (cmd) => {
        const shape = decisionShapeProblem(cmd);
        if (shape) refuse('invalid', `bad decision: ${shape}`);
        if (status !== 'pending') refuse('conflict', `this deletion is already ${status}`);
        if (cmd.step !== undefined && cmd.step !== step) refuse('conflict', `this deletion has moved on to the step "${step}"; reload it`, 'R14');
        if (!ACTIONS[step].includes(cmd.action)) refuse('rule', `"${cmd.action}" is not possible at the step "${step}"`, 'R14');
        if (cmd.action === 'extend') return extensionProblem(cmd, watch);
        // R14: the authorization table admits any role of the acting organization; each step has its one role.
        if (cmd.actorRole !== ROLE[step]) refuse('forbidden', `only a ${ROLE[step]} decides the step "${step}"`, 'R14');
        if ((cmd.action === 'return' || cmd.action === 'reject') && !cmd.reason) refuse('rule', `"${cmd.action}" needs a reason`, cmd.action === 'return' ? 'R15' : 'R14');
      },
    },
  );

  setHandler(deletionRecordedUpdate, async () => {
    await ready();
    return { processId, step, deadline: new Date(watch.deadline).toISOString() };
  });

  try {
    await local.recordDeletionApplied({ input, patch: { step, org: { id: acting.id, path: acting.path }, deadline: new Date(watch.deadline).toISOString() } });
  } catch (e) {
    // The member is no longer one that can be deleted (R14), or the process is already recorded: nothing was written.
    const failure = applicationFailureIn(e);
    if (failure?.type !== 'conflict' && failure?.type !== 'rule') throw e;
    refusal = failure;
    status = 'rejected';
    await condition(allHandlersFinished);
    return { processId, status };
  }
  recorded = true;

  while (status === 'pending') {
    const current = visit;
    await watch.run(() => status !== 'pending' || visit !== current);
  }
  // R17: each approved deletion is weighed against the graduates' share in every committee above the branch.
  if (status === 'approved') await remote.watchDeletionAbuse({ processId, branchPath: input.branch.path });
  await condition(allHandlersFinished);
  return { processId, status };
}
