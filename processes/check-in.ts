// The check-in review (R1-R4), declared: one step, the branch's review.
import type { CheckInInput } from '../domain/check-in';
import { checkInWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';

/** R1-R3: one step, the branch's review; the member withdraws, the branch approves or returns with a reason. */
export const checkInProcess: ProcessDefinition<'branch-review', CheckInInput> = {
  kind: 'check-in',
  names: { 'zh-CN': '入团报到', en: 'Check-in' },
  workflowType: 'checkIn',
  noun: 'check-in',
  rule: 'R2',
  actsRule: 'R1',
  workflowId: checkInWorkflowId,
  first: () => 'branch-review',
  steps: {
    'branch-review': {
      names: { 'zh-CN': '审核入团报到', en: 'Check-in review' },
      label: 'Check-in review',
      acting: (input) => ({ id: input.branchId, path: input.branchPath, parentId: input.parentOrgId, kind: 'branch' }),
      timing: (input) => input.timing,
      decisions: {
        approve: { rule: 'R2', authz: 'check-in.approve' },
        return: { rule: 'R2', authz: 'check-in.return', reason: true },
        withdraw: { rule: 'R2', authz: 'check-in.withdraw' },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
  },
};
