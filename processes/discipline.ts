// Disciplinary handling (R18), declared: verification by the branch, the talk with the member, the branch meeting's
// decision with its materials, approval by the committee above, the province's spot check, probation and its review;
// the branch's two records on a case besides its decisions (the talk, the meeting) are messages (processes/messages.ts).
import type { DisciplineInput, DisciplineStep, MeetingDecision, TalkRecord } from '../domain/discipline';
import { disciplineWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition } from './definition';

/** What a case knows while it runs: its input, and the branch meeting's decision once taken. */
export interface DisciplineContext {
  input: DisciplineInput;
  talk?: TalkRecord;
  meeting?: MeetingDecision & { materials: { id: string; sha256: string }[] };
  /** R18: the branch's expulsion at the end of probation, waiting for the configured approver. */
  expulsion?: { reason: string; proposedBy: string };
}

export const BRANCH = ['branch_secretary'] as const;
const COMMITTEE = ['committee_admin', 'province_admin'] as const;
const PROVINCE = ['province_admin'] as const;
/**
 * R3: a committee above the acting organization extends a step's deadline. No role is named: the API's
 * authorization ('deadline.extend') decides who, as for check-ins and deletions.
 */
const EXTEND = { rule: 'R3', authz: 'deadline.extend' } as const;

/** R18: the steps of a case, who decides each, and what each decision needs. */
export const disciplineProcess: ProcessDefinition<DisciplineStep, DisciplineContext> = {
  kind: 'discipline',
  names: { 'zh-CN': '纪律处分', en: 'Disciplinary case' },
  workflowType: 'discipline',
  noun: 'case',
  rule: 'R18',
  actsRule: 'R1',
  workflowId: disciplineWorkflowId,
  prepare: 'discipline',
  first: () => 'verification',
  steps: {
    verification: {
      names: { 'zh-CN': '团支部核实', en: 'Verification by the branch' },
      label: 'Disciplinary case: verification by the branch',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.verification,
      decisions: {
        approve: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH },
        reject: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH, reason: true },
        resolve: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH },
        extend: EXTEND,
      },
    },
    talk: {
      names: { 'zh-CN': '谈话', en: 'Talk with the member' },
      label: 'Disciplinary case: the talk with the member',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.talk,
      decisions: { resolve: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH }, extend: EXTEND },
    },
    meeting: {
      names: { 'zh-CN': '团支部大会决定', en: "Branch meeting's decision" },
      label: "Disciplinary case: the branch meeting's decision",
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.meeting,
      decisions: { resolve: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH }, extend: EXTEND },
    },
    approval: {
      names: { 'zh-CN': '上级团委审批', en: 'Approval by the committee above' },
      label: 'Disciplinary case: approval by the committee above',
      // R18: an expulsion, decided by the meeting or after probation, is approved at the configured level (expulsionApproval).
      acting: (c) => (c.expulsion || c.meeting?.sanction === 'expulsion' ? c.input.expulsionApprover : c.input.approver),
      timing: (c) => c.input.timing.approval,
      decisions: {
        approve: { rule: 'R18', authz: 'discipline.decide', roles: COMMITTEE },
        return: { rule: 'R18', authz: 'discipline.decide', roles: COMMITTEE, reason: true },
        extend: EXTEND,
      },
    },
    'spot-check': {
      names: { 'zh-CN': '省级抽查', en: "Province's spot check" },
      label: "Disciplinary case: the province's spot check",
      acting: (c) => c.input.province,
      timing: (c) => c.input.timing.spotCheck,
      decisions: {
        approve: { rule: 'R18', authz: 'discipline.decide', roles: PROVINCE },
        return: { rule: 'R18', authz: 'discipline.decide', roles: PROVINCE, reason: true },
        extend: EXTEND,
      },
    },
    probation: {
      names: { 'zh-CN': '留团察看', en: 'Probation' },
      label: 'Disciplinary case: probation',
      acting: (c) => c.input.branch,
      // Probation is a timer of 6 or 12 months: its "deadline" is its end.
      timing: (c) => ({
        deadlineMs: (c.meeting?.probationMonths ?? 6) * c.input.timing.probationMonthMs,
        // R18: 6 months are calendar months on the offices' calendar (workflows/steps.ts).
        ...(c.input.timing.calendarMonths && c.input.timing.probationMonthMs % 86_400_000 === 0 ? { calendarMonths: c.meeting?.probationMonths ?? 6 } : {}),
        reminderOffsetsMs: [],
        escalationIntervalMs: c.input.timing.probationReview.escalationIntervalMs,
      }),
      decisions: {},
    },
    'probation-review': {
      names: { 'zh-CN': '察看期满审议', en: 'Review at the end of probation' },
      label: 'Disciplinary case: review at the end of probation',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.probationReview,
      decisions: {
        approve: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH },
        expel: { rule: 'R18', authz: 'discipline.decide', roles: BRANCH, reason: true },
        extend: EXTEND,
      },
    },
  },
  // R18: a closed case belongs to the member's branch again: readable by the branch and every level above.
  home: (c) => c.input.branch,
};
