// R22: a branch's task in a yearly campaign, declared: the branch grades its members and hands the grades in, the
// nearest committee above confirms or returns them, the branch registers every member and hands that in, then
// follows up its deferred members. Each step's deadline comes from the campaign's plan (a deadline per level,
// moved for a city by the province).
import { dueAt, levelDeadline, type CampaignTaskInput, type CampaignTaskStepName, type Due, type Phase } from '../domain/campaign-plan';
import type { OrgRef } from '../domain/orgs';
import type { Names, ProcessDefinition } from './definition';

/** What the task learns as it runs: extensions, and the latest follow-up date of its deferred members. */
export interface TaskContext {
  input: CampaignTaskInput;
  extended: Partial<Record<Phase, Due>>;
  followUpBy?: Due;
}

function depthOf(org: OrgRef): number {
  return org.path.split('/').filter((s) => s !== '').length - 1;
}

/** A step's timing: the time left until its deadline, the configured reminders that still fit, the escalation interval. */
function timingUntil(c: TaskContext, deadline: number) {
  const deadlineMs = Math.max(1, deadline - Date.now());
  const { reminderOffsetsMs, escalationIntervalMs } = c.input.timing;
  return { deadlineMs, reminderOffsetsMs: reminderOffsetsMs.filter((r) => r < deadlineMs), escalationIntervalMs };
}

/** The deadline of a step for this task (the phase's level deadline, moved by a city's extension). */
export function stepDeadline(c: TaskContext, step: CampaignTaskStepName): number {
  const { phases, reviewer } = c.input;
  if (step === 'evaluation') return levelDeadline(phases.evaluation, 'branch', c.extended.evaluation);
  if (step === 'evaluation-review') return levelDeadline(phases.evaluation, depthOf(reviewer), c.extended.evaluation);
  if (step === 'follow-up' && c.followUpBy !== undefined) return dueAt(c.followUpBy);
  return levelDeadline(phases.registration, 'branch', c.extended.registration);
}

const EXTEND = { rule: 'R3', authz: 'deadline.extend' } as const;

/** A step the branch takes: it hands it in (`submit`); a committee above may extend it (R3). */
const branchStep = (label: string, step: CampaignTaskStepName, names: Names) => ({
  names,
  label,
  acting: (c: TaskContext) => c.input.branch,
  timing: (c: TaskContext) => timingUntil(c, stepDeadline(c, step)),
  decisions: { submit: { rule: 'R22', authz: 'campaign.record', roles: ['branch_secretary'] } as const, extend: EXTEND },
});

/** R22: the steps of a branch's task; the branch hands its steps in, the committee above confirms or returns the evaluation. */
export const campaignTaskProcess: ProcessDefinition<CampaignTaskStepName, TaskContext> = {
  kind: 'campaign',
  names: { 'zh-CN': '年度评议注册', en: 'Yearly evaluation and registration' },
  workflowType: 'campaignTask',
  noun: 'campaign task',
  rule: 'R22',
  actsRule: 'R1',
  // Tasks are started by the fan-out under campaignTaskWorkflowId (domain/workflow-ids.ts), never by startProcess.
  workflowId: (key) => key,
  prepare: 'campaign',
  first: () => 'evaluation',
  projectsDeadlines: true,
  // A closed task is the branch's again (the review step had handed it to the committee above).
  home: (c) => c.input.branch,
  steps: {
    evaluation: branchStep('Education evaluation: grades by the branch', 'evaluation', { 'zh-CN': '团支部团员教育评议', en: "Branch's education evaluation" }),
    'evaluation-review': {
      names: { 'zh-CN': '上级团委确认评议结果', en: 'Evaluation confirmed by the committee above' },
      label: 'Education evaluation: confirmed by the committee above',
      acting: (c) => c.input.reviewer,
      timing: (c) => timingUntil(c, stepDeadline(c, 'evaluation-review')),
      decisions: {
        approve: { rule: 'R22', authz: 'campaign.review' },
        return: { rule: 'R22', authz: 'campaign.review', reason: true },
        extend: EXTEND,
      },
    },
    registration: branchStep('Annual registration by the branch', 'registration', { 'zh-CN': '团支部团籍注册', en: "Branch's annual registration" }),
    'registration-check': {
      names: { 'zh-CN': '处理注册结果', en: 'Registration being settled' },
      label: 'Annual registration: refusals and deferrals handled',
      acting: (c) => c.input.branch,
      timing: (c) => timingUntil(c, stepDeadline(c, 'registration')),
      decisions: {},
      decidedElsewhere: { message: 'the registration is being settled', rule: 'R22' },
    },
    'follow-up': branchStep('Annual registration: deferred members followed up', 'follow-up', {
      'zh-CN': '暂缓注册复核',
      en: 'Deferred registrations followed up',
    }),
  },
};
