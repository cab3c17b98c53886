// The transfer of the organizational relation (R9-R13), declared: release by the sending branch, arrival at the
// receiving organization, placement into a branch; across provinces (R10) the other province's confirmations.
import type { OrgRef } from '../domain/orgs';
import type { TransferInput, TransferStep } from '../domain/transfers';
import { transferWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';

/** What a transfer knows while it runs: its input, and the receiving organization once it is known (R12). */
export interface TransferContext {
  input: TransferInput;
  to: OrgRef | null;
}

const ENDS = {
  reject: { rule: 'R9', authz: 'transfer.reject', reason: true },
  withdraw: { rule: 'R9', authz: 'transfer.withdraw' },
  extend: { rule: 'R9', authz: 'deadline.extend' },
} as const;

/** R9-R13: the steps of a transfer; the inbound check-in (R10) is decided on its own process. */
export const transferProcess: ProcessDefinition<TransferStep, TransferContext> = {
  kind: 'transfer',
  names: { 'zh-CN': '组织关系转接', en: 'Transfer' },
  workflowType: 'transfer',
  noun: 'transfer',
  rule: 'R9',
  actsRule: 'R9',
  workflowId: transferWorkflowId,
  prepare: 'transfer',
  first: (c) => (c.input.direction === 'inbound' ? 'arrival-check-in' : 'release'),
  steps: {
    release: {
      names: { 'zh-CN': '转出团支部审批', en: 'Release by the sending branch' },
      label: 'Transfer: release by the sending branch',
      acting: (c) => c.input.from!,
      timing: (c) => c.input.timing.release,
      decisions: { approve: { rule: 'R9', authz: 'transfer.approve' }, ...ENDS },
    },
    'awaiting-branch': {
      names: { 'zh-CN': '等待转入团支部建立', en: 'Waiting for the destination branch' },
      label: 'Transfer: waiting for the destination branch to be created',
      acting: (c) => c.input.awaitOrg!.parent,
      timing: (c) => c.input.timing.awaitBranch,
      decisions: { ...ENDS },
    },
    arrival: {
      names: { 'zh-CN': '转入组织审批', en: 'Arrival at the receiving organization' },
      label: 'Transfer: arrival at the receiving organization',
      acting: (c) => c.to!,
      timing: (c) => c.input.timing.arrival,
      decisions: { approve: { rule: 'R9', authz: 'transfer.approve' }, ...ENDS },
    },
    placement: {
      names: { 'zh-CN': '分配团支部', en: 'Placement into a branch' },
      label: 'Transfer: placement into a branch',
      acting: (c) => c.to!,
      timing: (c) => c.input.timing.placement,
      decisions: { place: { rule: 'R9', authz: 'transfer.place' }, ...ENDS },
    },
    'peer-arrival': {
      names: { 'zh-CN': '外省确认转入', en: "Other province's arrival confirmation" },
      label: "Transfer: the other province's arrival confirmation",
      acting: (c) => c.input.from!,
      timing: (c) => c.input.timing.peer,
      decisions: { withdraw: ENDS.withdraw, extend: ENDS.extend },
    },
    'arrival-check-in': {
      names: { 'zh-CN': '转入团支部报到审核', en: 'Check-in review at the receiving branch' },
      label: 'Transfer: check-in review at the receiving branch',
      acting: (c) => c.to!,
      // The inbound check-in's deadline is the child's own (R3); the transfer only shows it.
      timing: (c) => ({ ...c.input.checkInTiming, onTimeout: 'remind' }),
      decisions: {},
      decidedElsewhere: { message: "decide the receiving branch's check-in review of this member (R10)", rule: 'R10' },
    },
    'peer-release': {
      names: { 'zh-CN': '外省确认转出', en: "Other province's release confirmation" },
      label: "Transfer: the other province's release confirmation",
      acting: (c) => c.to!,
      timing: (c) => c.input.timing.peer,
      decisions: { extend: ENDS.extend },
    },
  },
};
