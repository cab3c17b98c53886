// A reviewed change of member data (R5), declared: one step, the branch's review.
import type { MemberChangeInput } from '../domain/member-data';
import { memberChangeWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';

/**
 * R5: one step, the branch's review; the branch approves or returns with a reason; the member who asked withdraws,
 * under the same grant as asking (the member themself).
 */
export const memberChangeProcess: ProcessDefinition<'branch-review', MemberChangeInput> = {
  kind: 'member-change',
  names: { 'zh-CN': '成员信息变更审核', en: 'Member data change review' },
  workflowType: 'memberChange',
  noun: 'change of member data',
  rule: 'R5',
  actsRule: 'R1',
  workflowId: memberChangeWorkflowId,
  first: () => 'branch-review',
  steps: {
    'branch-review': {
      names: { 'zh-CN': '团支部审核信息变更', en: "Branch's review of the change" },
      label: 'Change of member data: review by the branch',
      acting: (input) => input.branch,
      timing: (input) => input.timing,
      decisions: {
        approve: { rule: 'R5', authz: 'member-change.decide' },
        return: { rule: 'R5', authz: 'member-change.decide', reason: true },
        withdraw: { rule: 'R5', authz: 'member-change.request' },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
  },
};
