// A reviewed change of member data (R5): the member asks for a new political status, economic income or cadre
// flag; their branch approves or returns it with a reason, or the member withdraws it. Until then the values in
// force stay as they are and the new ones show as pending (member_changes). Reminded before and escalated after
// its deadline like the check-in (config timing.memberChange), which a committee above may extend.
// One declared step on the process skeleton (workflows/process.ts); what is particular is below.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { MemberDataActivities } from '../activities/member-data';
import type { ProcessActivities } from '../activities/processes';
import type { MemberChangeInput } from '../domain/member-data';
import type { ProcessStatus } from '../domain/processes';
import { memberChangeWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';
import { Process } from './process';
import { LOCAL_ACTIVITY_OPTIONS } from './common';

/** R5: one step, the branch's review; the branch approves or returns with a reason, the member withdraws. */
export const memberChangeProcess: ProcessDefinition<'branch-review', MemberChangeInput> = {
  kind: 'member-change',
  noun: 'change of member data',
  rule: 'R5',
  workflowId: memberChangeWorkflowId,
  first: () => 'branch-review',
  steps: {
    'branch-review': {
      label: 'Change of member data: review by the branch',
      acting: (input) => input.branch,
      timing: (input) => input.timing,
      decisions: {
        approve: { rule: 'R5' },
        return: { rule: 'R5', reason: true },
        withdraw: { rule: 'R5' },
        extend: { rule: 'R3' },
      },
    },
  },
};

const local = proxyLocalActivities<MemberDataActivities & ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);

const OUTCOME = { approve: 'approved', return: 'returned', withdraw: 'withdrawn' } as const;

export async function memberChange(input: MemberChangeInput): Promise<{ processId: string; status: ProcessStatus }> {
  const { processId, memberId } = input;
  const p = new Process(memberChangeProcess, input, { processId, memberId });

  p.handle({
    // Closed synchronously, so a second decision in the same moment fails validation (exactly one wins).
    decide(cmd) {
      const patch = p.close(OUTCOME[cmd.action as keyof typeof OUTCOME]);
      // The values before and after, as they stand in the record: the projection applies them with this event.
      const changes = Object.entries(input.fields).map(([field, to]) => ({ field, from: input.previous[field as keyof typeof input.previous] ?? null, to }));
      return p.record(`member-change.${p.status}`, {
        orgId: input.branch.id,
        actorId: cmd.actorId,
        payload: { ...(cmd.reason ? { reason: cmd.reason } : {}), ...(p.status === 'approved' ? { changes } : {}) },
        patch,
        notifyMember: p.status === 'returned' ? `Your change of member data was returned: ${cmd.reason ?? ''}` : `Your change of member data was ${p.status}.`,
      });
    },
  });

  // The member is no longer one whose data changes (R5), or the row is already there: nothing was written.
  if (!(await p.open((patch) => local.recordMemberChangeRequested({ input, patch }), ['rule', 'conflict']))) return p.finish();
  await p.run();
  return p.finish();
}
