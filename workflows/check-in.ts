// The check-in review (R1-R4): pending until the branch approves or returns it, or the member withdraws it;
// reminded before and escalated after its 10-day deadline, which a committee above may extend.
// One declared step on the process skeleton (workflows/process.ts); what is particular is below.
import { CancellationScope, defineUpdate, isCancellation, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CheckInActivities } from '../activities/check-in';
import type { ProcessActivities } from '../activities/processes';
import type { CheckInInput } from '../domain/check-in';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import { checkInWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition, Recorded } from './definition';
import { Process } from './process';
import { ACTIVITY_OPTIONS, LOCAL_ACTIVITY_OPTIONS, decideUpdate, recorder, stateQuery } from './common';

export { decideUpdate, stateQuery };
/** The early return's name before the one "recorded" update (workflows/definition.ts); kept for old callers. */
export const submittedUpdate = defineUpdate<Recorded>('submitted');

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
  const { processId, memberId } = input;
  const p = new Process(checkInProcess, input, {
    processId,
    memberId,
    // Runs recorded before the skeleton wrote their decision under this name (remote before local-record-activities).
    legacyAppend: () => recorder(remote, local).recordCheckInDecision,
  });

  /** R2/R4: the outcome; the member record changes by the member-status table (the check-in projection). */
  const decided = (cmd: Pick<DecisionCommand, 'actorId' | 'reason'>, patch: ReturnType<typeof p.close>) =>
    p.record(`check-in.${p.status}`, {
      orgId: input.branchId,
      actorId: cmd.actorId,
      payload: cmd.reason ? { reason: cmd.reason } : {},
      patch,
      notifyMember: p.status === 'returned' ? `Your check-in was returned: ${cmd.reason ?? ''}` : `Your check-in was ${p.status}.`,
    });

  p.handle({
    // Closed synchronously, so a second decision in the same moment fails validation (exactly one wins).
    decide: (cmd) => decided(cmd, p.close(OUTCOME[cmd.action as keyof typeof OUTCOME])),
  });

  // The database refused it (e.g. a concurrent check-in took the ID number): nothing was written.
  const submitted = (patch: { deadline?: string | null }) =>
    recorder(remote, local).recordCheckInSubmitted({ input, submittedAt: new Date().toISOString(), deadline: patch.deadline! });
  if (!(await p.open(submitted, ['conflict']))) return p.finish();

  try {
    await p.run();
  } catch (e) {
    // Cancelled by a parent (an inbound transfer the other province called off, R10): closed as withdrawn.
    if (!isCancellation(e) || !p.pending) throw e;
    const reason = 'the transfer it belonged to was called off';
    await CancellationScope.nonCancellable(async () => {
      // Before the patch, a cancelled check-in kept its search attributes as they were.
      const patch = patched('cancelled-check-in-closes')
        ? p.close('withdrawn')
        : ((p.status = 'withdrawn'), { status: 'withdrawn', step: 'closed', closed: true });
      await decided({ actorId: 'system:cancelled', reason }, patch);
    });
  }
  return p.finish();
}
