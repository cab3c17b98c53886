// A join-date correction (R7), declared: the branch reviews a member's request in the window; only the province
// decides a formal request.
import type { JoinDateInput, JoinDateStep } from '../domain/member-data';
import { joinDateWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';

/** R7: the branch reviews a member's request in the window; only the province decides a formal request. */
export const joinDateProcess: ProcessDefinition<JoinDateStep, JoinDateInput> = {
  kind: 'join-date',
  names: { 'zh-CN': '入团时间更正', en: 'Join-date correction' },
  workflowType: 'joinDate',
  noun: 'join-date correction',
  rule: 'R7',
  actsRule: 'R1',
  workflowId: joinDateWorkflowId,
  prepare: 'step-and-role',
  first: (input) => (input.route === 'formal' ? 'province-review' : 'branch-review'),
  // A closed correction belongs to the member's branch again: readable by the branch and every level above.
  home: (input) => input.branch,
  steps: {
    'branch-review': {
      names: { 'zh-CN': '团支部审核入团时间更正', en: "Branch's review of the join date" },
      label: 'Join-date correction: review by the branch',
      acting: (input) => input.branch,
      timing: (input) => input.timing.branchReview,
      decisions: {
        approve: { rule: 'R7', authz: 'join-date.decide', roles: ['branch_secretary'] },
        return: { rule: 'R7', authz: 'join-date.decide', roles: ['branch_secretary'], reason: true },
        // The member who asked withdraws, under the same grant as asking.
        withdraw: { rule: 'R7', authz: 'join-date.request', roles: ['member'] },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
    'province-review': {
      names: { 'zh-CN': '省级团委审批入团时间更正', en: "Province's decision on the join date" },
      label: 'Join-date correction: decision of the province',
      acting: (input) => input.province,
      timing: (input) => input.timing.provinceReview,
      decisions: {
        approve: { rule: 'R7', authz: 'join-date.decide', roles: ['province_admin'] },
        reject: { rule: 'R7', authz: 'join-date.decide', roles: ['province_admin'], reason: true },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
  },
};
