// Deleting a member (R14-R17): the branch applies, the city-level committee verifies and forwards, only the
// province approves or rejects; a return (R15, also in bulk) sends it back to the branch to be filed again.
// The declared steps (processes/deletion.ts) on the process skeleton (workflows/process.ts); what is particular
// is below: where each decision leads, and R17's watch once approved.
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { DeletionActivities } from '../activities/deletion';
import type { ProcessPatch } from '../activities/processes';
import type { DeletionInput, DeletionStep } from '../domain/deletions';
import type { DecisionCommand } from '../domain/processes';
import type { OrgRef } from '../domain/orgs';
import { deletionProcess } from '../processes/deletion';
import { ProcessRun, type ProcessResult } from './process';
import { ACTIVITY_OPTIONS, LOCAL_ACTIVITY_OPTIONS } from './options';

const remote = proxyActivities<DeletionActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<DeletionActivities>(LOCAL_ACTIVITY_OPTIONS);

class DeletionRun extends ProcessRun<DeletionStep, DeletionInput> {
  constructor(readonly input: DeletionInput) {
    super(deletionProcess, input, { processId: input.processId, memberId: input.memberId });
  }

  async decide(cmd: DecisionCommand): Promise<void> {
    const { p, input } = this;
    const at = p.step;
    const orgId = p.acting.id;
    if (cmd.action === 'return') {
      // R15: back to the branch, which checks it and files it again (or withdraws it).
      return this.record('deletion.returned', cmd, orgId, p.enter('branch-recheck'), { step: at }, input.branch);
    }
    if (cmd.action === 'reject' || cmd.action === 'withdraw') {
      const patch = p.close(cmd.action === 'reject' ? 'rejected' : 'withdrawn');
      return this.record(`deletion.${p.status}`, cmd, orgId, patch, { step: at });
    }
    if (at === 'city-review') return this.record('deletion.forwarded', cmd, orgId, p.enter('province-review'), {}, input.province);
    if (at === 'branch-recheck') return this.record('deletion.refiled', cmd, orgId, p.enter('city-review'), {}, input.city);
    return this.record('deletion.approved', cmd, orgId, p.close('approved'), {});
  }

  /** A decision's event: its reason, a task to the organization deciding next, or the notice to the member once closed. */
  private async record(type: string, cmd: DecisionCommand, orgId: string, patch: ProcessPatch, payload: Record<string, unknown>, notifyOrg?: OrgRef) {
    const { p } = this;
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

  protected async execute(): Promise<ProcessResult> {
    const { p, input } = this;
    // The member is no longer one that can be deleted (R14), or the process is already recorded: nothing was written.
    if (!(await p.open((patch) => local.recordDeletionApplied({ input, patch }), ['conflict', 'rule']))) return p.finish();
    await p.run();
    // R17: each approved deletion is weighed against the graduates' share in every committee above the branch.
    if (p.status === 'approved') await remote.watchDeletionAbuse({ processId: input.processId, branchPath: input.branch.path });
    return p.finish();
  }
}

export async function deletion(input: DeletionInput): Promise<ProcessResult> {
  return new DeletionRun(input).run();
}
