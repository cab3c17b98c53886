// A join-date correction (R7). Inside the window the province opens, the member asks and the branch reviews
// (approve, return with a reason; the member withdraws). Outside it, only a city-level committee files a formal
// request with a reason, and the province decides (approve, reject with a reason). Approval is the only change
// of the join date after the check-in's approval (R4); the event records both dates.
// Declared steps on the process skeleton (workflows/process.ts); what is particular is below.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { MemberDataActivities } from '../activities/member-data';
import type { ProcessActivities } from '../activities/processes';
import type { JoinDateInput, JoinDateStep } from '../domain/member-data';
import type { ProcessStatus } from '../domain/processes';
import { joinDateWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';
import { Process } from './process';
import { LOCAL_ACTIVITY_OPTIONS } from './common';

/** R7: the branch reviews a member's request in the window; only the province decides a formal request. */
export const joinDateProcess: ProcessDefinition<JoinDateStep, JoinDateInput> = {
  kind: 'join-date',
  noun: 'join-date correction',
  rule: 'R7',
  workflowId: joinDateWorkflowId,
  first: (input) => (input.route === 'formal' ? 'province-review' : 'branch-review'),
  // A closed correction belongs to the member's branch again: readable by the branch and every level above.
  home: (input) => input.branch,
  steps: {
    'branch-review': {
      label: 'Join-date correction: review by the branch',
      acting: (input) => input.branch,
      timing: (input) => input.timing.branchReview,
      decisions: {
        approve: { rule: 'R7', roles: ['branch_secretary'] },
        return: { rule: 'R7', roles: ['branch_secretary'], reason: true },
        withdraw: { rule: 'R7', roles: ['member'] },
        extend: { rule: 'R3' },
      },
    },
    'province-review': {
      label: 'Join-date correction: decision of the province',
      acting: (input) => input.province,
      timing: (input) => input.timing.provinceReview,
      decisions: {
        approve: { rule: 'R7', roles: ['province_admin'] },
        reject: { rule: 'R7', roles: ['province_admin'], reason: true },
        extend: { rule: 'R3' },
      },
    },
  },
};

const local = proxyLocalActivities<MemberDataActivities & ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);

const OUTCOME = { approve: 'approved', return: 'returned', withdraw: 'withdrawn', reject: 'rejected' } as const;

export async function joinDate(input: JoinDateInput): Promise<{ processId: string; status: ProcessStatus }> {
  const { processId, memberId } = input;
  const p = new Process(joinDateProcess, input, { processId, memberId });

  p.handle({
    // Closed synchronously, so a second decision in the same moment fails validation (exactly one wins).
    decide(cmd) {
      const orgId = p.acting.id;
      const patch = p.close(OUTCOME[cmd.action as keyof typeof OUTCOME]);
      return p.record(`join-date.${p.status}`, {
        orgId,
        actorId: cmd.actorId,
        payload: {
          ...(cmd.reason ? { reason: cmd.reason } : {}),
          route: input.route,
          ...(p.status === 'approved' ? { from: input.previous, to: input.joinDate } : {}),
        },
        patch,
        notifyMember: `The correction of your join date was ${p.status}${cmd.reason ? `: ${cmd.reason}` : ''}.`,
      });
    },
  });

  // The member is no longer one whose data changes (R7), or the row is already there: nothing was written.
  if (!(await p.open((patch) => local.recordJoinDateRequested({ input, patch }), ['rule', 'conflict']))) return p.finish();
  await p.run();
  return p.finish();
}
