// Deleting a member (R14-R17): the branch applies, the city-level committee verifies and forwards, only the
// province approves or rejects; a return (R15, also in bulk) sends it back to the branch to be filed again.
// Every waiting step has its own deadline, reminders and escalation (the shared DeadlineWatch).
import { ApplicationFailure, allHandlersFinished, condition, defineUpdate, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { DeletionActivities } from '../activities/deletion';
import type { ProcessPatch } from '../activities/processes';
import type { DeletionInput, DeletionStep } from '../domain/deletions';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import type { OrgRef } from '../domain/orgs';
import { ProcessSteps } from './steps';
import { recordedUpdate, type ProcessDefinition } from './definition';
import { deletionWorkflowId } from '../domain/workflow-ids';
import {
  ACTIVITY_OPTIONS,
  LOCAL_ACTIVITY_OPTIONS,
  applicationFailureIn,
  decideUpdate,
  decisionShapeProblem,
  extensionProblem,
  refuse,
  stateQuery,
} from './common';

/** Early return: the API's start answers once the application is recorded (or refused). */
export const deletionRecordedUpdate = defineUpdate<{ processId: string; step: DeletionStep; deadline: string }>('deletion-recorded');

const remote = proxyActivities<DeletionActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<DeletionActivities>(LOCAL_ACTIVITY_OPTIONS);

/** R14-R15: the steps of a deletion, who acts and decides at each, and the rule each decision cites. */
export const deletionProcess: ProcessDefinition<DeletionStep, DeletionInput> = {
  kind: 'deletion',
  noun: 'deletion',
  rule: 'R14',
  workflowId: deletionWorkflowId,
  legacyRecordedUpdate: 'deletion-recorded',
  first: () => 'city-review',
  // A closed deletion belongs to the member's branch again: readable by the branch and every level above (R14).
  home: (input) => input.branch,
  steps: {
    'city-review': {
      label: 'Deletion: verification by the city-level committee',
      acting: (input) => input.city,
      timing: (input) => input.timing.cityReview,
      decisions: {
        approve: { rule: 'R14', roles: ['committee_admin'] },
        return: { rule: 'R15', roles: ['committee_admin'], reason: true },
        extend: { rule: 'R3' },
      },
    },
    'province-review': {
      label: 'Deletion: decision of the province',
      acting: (input) => input.province,
      timing: (input) => input.timing.provinceReview,
      decisions: {
        approve: { rule: 'R14', roles: ['province_admin'] },
        reject: { rule: 'R14', roles: ['province_admin'], reason: true },
        return: { rule: 'R15', roles: ['province_admin'], reason: true },
        extend: { rule: 'R3' },
      },
    },
    'branch-recheck': {
      label: 'Deletion: re-check by the branch',
      acting: (input) => input.branch,
      timing: (input) => input.timing.branchRecheck,
      decisions: {
        approve: { rule: 'R15', roles: ['branch_secretary'] },
        withdraw: { rule: 'R15', roles: ['branch_secretary'] },
        extend: { rule: 'R3' },
      },
    },
  },
};

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
  let recorded = false;
  let refusal: ApplicationFailure | undefined;
  let sequence = 0;

  const ready = async () => {
    await condition(() => recorded || refusal !== undefined);
    if (refusal) throw refusal;
  };

  const steps = new ProcessSteps<DeletionStep>({
    processId,
    memberId,
    first: 'city-review',
    label: LABEL,
    actingOrg: (s) => (s === 'city-review' ? input.city : s === 'province-review' ? input.province : input.branch),
    timing: (s) => (s === 'city-review' ? input.timing.cityReview : s === 'province-review' ? input.timing.provinceReview : input.timing.branchRecheck),
    // A closed deletion belongs to the member's branch again: readable by the branch and every level above (R14).
    home: () => input.branch,
  });
  const enter = (next: DeletionStep) => steps.enter(next);
  const close = (outcome: ProcessStatus) => steps.close(outcome);

  async function record(type: string, cmd: DecisionCommand, orgId: string, patch: ProcessPatch, payload: Record<string, unknown>, notifyOrg?: OrgRef) {
    sequence += 1;
    await ready();
    const closed = !steps.pending;
    await local.recordDeletionEvent({
      key: `${processId}:${sequence}:${type}`,
      processId,
      memberId,
      orgId,
      type,
      actorId: cmd.actorId,
      payload: { ...(cmd.reason ? { reason: cmd.reason } : {}), ...payload },
      patch,
      ...(closed ? { outcome: steps.status as 'approved' | 'rejected' | 'withdrawn' } : {}),
      ...(notifyOrg ? { notifyOrg: { id: notifyOrg.id, message: `${LABEL[steps.step]}: your decision is needed` } } : {}),
      ...(closed ? { notifyMember: `The application to delete your membership was ${steps.status}${cmd.reason ? `: ${cmd.reason}` : ''}.` } : {}),
    });
  }

  async function decide(cmd: DecisionCommand): Promise<void> {
    const at = steps.step;
    const orgId = steps.acting.id;
    if (cmd.action === 'return') {
      // R15: back to the branch, which checks it and files it again (or withdraws it).
      const patch = enter('branch-recheck');
      return record('deletion.returned', cmd, orgId, patch, { step: at }, input.branch);
    }
    if (cmd.action === 'reject' || cmd.action === 'withdraw') {
      const patch = close(cmd.action === 'reject' ? 'rejected' : 'withdrawn');
      return record(`deletion.${steps.status}`, cmd, orgId, patch, { step: at });
    }
    if (at === 'city-review') return record('deletion.forwarded', cmd, orgId, enter('province-review'), {}, input.province);
    if (at === 'branch-recheck') return record('deletion.refiled', cmd, orgId, enter('city-review'), {}, input.city);
    return record('deletion.approved', cmd, orgId, close('approved'), {});
  }

  setHandler(stateQuery, () => steps.state());

  setHandler(
    decideUpdate,
    steps.decisionHandler(decide, ready),
    {
      validator: (cmd) => {
        const shape = decisionShapeProblem(cmd);
        if (shape) refuse('invalid', `bad decision: ${shape}`);
        steps.refuseUnlessAt(cmd, 'deletion', 'R14');
        const step = steps.step;
        if (!ACTIONS[step].includes(cmd.action)) refuse('rule', `"${cmd.action}" is not possible at the step "${step}"`, 'R14');
        if (cmd.action === 'extend') return extensionProblem(cmd, steps.watch);
        // R14: the authorization table admits any role of the acting organization; each step has its one role.
        if (cmd.actorRole !== ROLE[step]) refuse('forbidden', `only a ${ROLE[step]} decides the step "${step}"`, 'R14');
        if ((cmd.action === 'return' || cmd.action === 'reject') && !cmd.reason) refuse('rule', `"${cmd.action}" needs a reason`, cmd.action === 'return' ? 'R15' : 'R14');
      },
    },
  );

  const answerRecorded = async () => {
    await ready();
    return { processId, step: steps.step, deadline: new Date(steps.watch.deadline).toISOString() };
  };
  setHandler(recordedUpdate, answerRecorded);
  setHandler(deletionRecordedUpdate, answerRecorded);

  try {
    const { step, acting, watch } = steps;
    await local.recordDeletionApplied({ input, patch: { step, org: { id: acting.id, path: acting.path }, deadline: new Date(watch.deadline).toISOString() } });
  } catch (e) {
    // The member is no longer one that can be deleted (R14), or the process is already recorded: nothing was written.
    const failure = applicationFailureIn(e);
    if (failure?.type !== 'conflict' && failure?.type !== 'rule') throw e;
    refusal = failure;
    steps.status = 'rejected';
    await condition(allHandlersFinished);
    return { processId, status: steps.status };
  }
  recorded = true;

  while (steps.pending) {
    const current = steps.visits;
    await steps.watch.run(() => !steps.pending || steps.visits !== current);
  }
  // R17: each approved deletion is weighed against the graduates' share in every committee above the branch.
  if (steps.status === 'approved') await remote.watchDeletionAbuse({ processId, branchPath: input.branch.path });
  await condition(allHandlersFinished);
  return { processId, status: steps.status };
}
