// Deleting a member (R14-R17): the branch applies, the city-level committee verifies and forwards, only the
// province approves or rejects; a return (R15, also in bulk) sends it back to the branch to be filed again.
// Declared steps on the process skeleton (workflows/process.ts); what is particular is below.
import { defineUpdate, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { DeletionActivities } from '../activities/deletion';
import type { ProcessActivities } from '../activities/processes';
import type { DeletionInput, DeletionStep } from '../domain/deletions';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import type { OrgRef } from '../domain/orgs';
import { deletionWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition, Recorded } from './definition';
import { Process } from './process';
import { ACTIVITY_OPTIONS, LOCAL_ACTIVITY_OPTIONS } from './common';

/** The early return's name before the one "recorded" update (workflows/definition.ts); kept for old callers. */
export const deletionRecordedUpdate = defineUpdate<Recorded>('deletion-recorded');

const remote = proxyActivities<DeletionActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<DeletionActivities & ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);

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
        // R15: the province returns pending applications at any level, also those still at the city.
        return: { rule: 'R15', roles: ['committee_admin', 'province_admin'], reason: true },
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

export async function deletion(input: DeletionInput): Promise<{ processId: string; status: ProcessStatus }> {
  const { processId, memberId } = input;
  const p = new Process(deletionProcess, input, { processId, memberId, legacyAppend: () => local.recordDeletionEvent });

  async function record(
    type: string,
    cmd: DecisionCommand,
    orgId: string,
    patch: ReturnType<typeof p.enter>,
    payload: Record<string, unknown>,
    notifyOrg?: OrgRef,
  ) {
    const closing = !p.pending;
    await p.record(type, {
      orgId,
      actorId: cmd.actorId,
      payload: { ...(cmd.reason ? { reason: cmd.reason } : {}), ...payload },
      patch,
      notify: notifyOrg ? p.task(notifyOrg) : undefined,
      notifyMember: closing ? `The application to delete your membership was ${p.status}${cmd.reason ? `: ${cmd.reason}` : ''}.` : undefined,
    });
  }

  p.handle({
    async decide(cmd) {
      const at = p.step;
      const orgId = p.acting.id;
      if (cmd.action === 'return') {
        // R15: back to the branch, which checks it and files it again (or withdraws it).
        return record('deletion.returned', cmd, orgId, p.enter('branch-recheck'), { step: at }, input.branch);
      }
      if (cmd.action === 'reject' || cmd.action === 'withdraw') {
        const patch = p.close(cmd.action === 'reject' ? 'rejected' : 'withdrawn');
        return record(`deletion.${p.status}`, cmd, orgId, patch, { step: at });
      }
      if (at === 'city-review') return record('deletion.forwarded', cmd, orgId, p.enter('province-review'), {}, input.province);
      if (at === 'branch-recheck') return record('deletion.refiled', cmd, orgId, p.enter('city-review'), {}, input.city);
      return record('deletion.approved', cmd, orgId, p.close('approved'), {});
    },
  });

  // The member is no longer one that can be deleted (R14), or the process is already recorded: nothing was written.
  if (!(await p.open((patch) => local.recordDeletionApplied({ input, patch }), ['conflict', 'rule']))) return p.finish();
  await p.run();
  // R17: each approved deletion is weighed against the graduates' share in every committee above the branch.
  if (p.status === 'approved') await remote.watchDeletionAbuse({ processId, branchPath: input.branch.path });
  return p.finish();
}
