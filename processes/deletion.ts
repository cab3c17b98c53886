// Deleting a member (R14-R17), declared: the city-level committee verifies and forwards, only the province approves
// or rejects; a return (R15) sends it back to the branch to be filed again.
import type { DeletionInput, DeletionStep } from '../domain/deletions';
import { deletionWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';

/** R14-R15: the steps of a deletion, who acts and decides at each, and the rule each decision cites. */
export const deletionProcess: ProcessDefinition<DeletionStep, DeletionInput> = {
  kind: 'deletion',
  names: { 'zh-CN': '删除团员', en: 'Deletion' },
  workflowType: 'deletion',
  noun: 'deletion',
  rule: 'R14',
  actsRule: 'R1',
  workflowId: deletionWorkflowId,
  prepare: 'step-and-role',
  first: () => 'city-review',
  // A closed deletion belongs to the member's branch again: readable by the branch and every level above (R14).
  home: (input) => input.branch,
  steps: {
    'city-review': {
      names: { 'zh-CN': '市级团委核实', en: 'Verification by the city committee' },
      label: 'Deletion: verification by the city-level committee',
      acting: (input) => input.city,
      timing: (input) => input.timing.cityReview,
      decisions: {
        approve: { rule: 'R14', authz: 'deletion.decide', roles: ['committee_admin'] },
        // R15: the province returns pending applications at any level, also those still at the city.
        return: { rule: 'R15', authz: 'deletion.decide', roles: ['committee_admin', 'province_admin'], reason: true },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
    'province-review': {
      names: { 'zh-CN': '省级团委审批', en: 'Decision of the province' },
      label: 'Deletion: decision of the province',
      acting: (input) => input.province,
      timing: (input) => input.timing.provinceReview,
      decisions: {
        approve: { rule: 'R14', authz: 'deletion.decide', roles: ['province_admin'] },
        reject: { rule: 'R14', authz: 'deletion.decide', roles: ['province_admin'], reason: true },
        return: { rule: 'R15', authz: 'deletion.decide', roles: ['province_admin'], reason: true },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
    'branch-recheck': {
      names: { 'zh-CN': '团支部复核', en: 'Re-check by the branch' },
      label: 'Deletion: re-check by the branch',
      acting: (input) => input.branch,
      timing: (input) => input.timing.branchRecheck,
      decisions: {
        approve: { rule: 'R15', authz: 'deletion.decide', roles: ['branch_secretary'] },
        withdraw: { rule: 'R15', authz: 'deletion.decide', roles: ['branch_secretary'] },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
  },
};
