// A test process on the skeleton (workflows/process.ts `Process`), declared like the real ones
// (processes/definition.ts): the branch files (5 days), the general branch reviews (10 days) and approves, or
// returns it to the branch with a reason. The first write and the event append are stub activities.
import { proxyLocalActivities } from '@temporalio/workflow';
import type { ProcessPatch } from '../../../activities/processes';
import type { StepTiming } from '../../../domain/durations';
import type { OrgRef } from '../../../domain/orgs';
import type { ProcessDefinition } from '../../../processes/definition';
import { LOCAL_ACTIVITY_OPTIONS } from '../../../workflows/options';
import { Process } from '../../../workflows/process';

export type SkeletonStep = 'filing' | 'review';

const DAY = 86_400_000;

export const CITY: OrgRef = { id: 'org-city', path: '/org-city', parentId: null, kind: 'committee' };
export const GENERAL_BRANCH: OrgRef = { id: 'org-gb', path: '/org-city/org-gb', parentId: 'org-city', kind: 'general_branch' };
export const BRANCH: OrgRef = { id: 'org-branch', path: '/org-city/org-gb/org-branch', parentId: 'org-gb', kind: 'branch' };

export const TIMING: Record<SkeletonStep, StepTiming> = {
  filing: { deadlineMs: 5 * DAY, reminderOffsetsMs: [1 * DAY], escalationIntervalMs: 1 * DAY },
  review: { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: 1 * DAY },
};

export interface SkeletonInput {
  processId: string;
  memberId: string;
  /** The stub of the first write refuses it (as the database would a second open process of a member). */
  refuseOpen?: boolean;
}

export const testProcess: ProcessDefinition<SkeletonStep, SkeletonInput> = {
  kind: 'deletion',
  workflowType: 'skeletonWorkflow',
  names: { 'zh-CN': '测试流程', en: 'Test process' },
  noun: 'test process',
  rule: 'T0',
  actsRule: 'T0',
  workflowId: (memberId) => `test-process-${memberId}`,
  first: () => 'filing',
  home: () => BRANCH,
  steps: {
    filing: {
      names: { 'zh-CN': '测试：团支部报送', en: 'Filing' },
      label: 'Test: filing by the branch',
      acting: () => BRANCH,
      timing: () => TIMING.filing,
      decisions: {
        approve: { rule: 'T1', authz: 'check-in.approve', roles: ['branch_secretary'] },
        withdraw: { rule: 'T1', authz: 'check-in.withdraw' },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
    review: {
      names: { 'zh-CN': '测试：团总支审核', en: 'Review' },
      label: 'Test: review by the general branch',
      acting: () => GENERAL_BRANCH,
      timing: () => TIMING.review,
      decisions: {
        approve: { rule: 'T2', authz: 'check-in.approve', roles: ['gb_admin'] },
        return: { rule: 'T2', authz: 'check-in.return', roles: ['gb_admin'], reason: 'T3' },
        extend: { rule: 'R3', authz: 'deadline.extend' },
      },
    },
  },
};

export interface OpenInput {
  processId: string;
  first: ProcessPatch;
  refuse: boolean;
}

interface OpenActivities {
  openTestProcess(input: OpenInput): Promise<void>;
}

const { openTestProcess } = proxyLocalActivities<OpenActivities>(LOCAL_ACTIVITY_OPTIONS);

export async function skeletonWorkflow(input: SkeletonInput) {
  const p: Process<SkeletonStep, SkeletonInput> = new Process(testProcess, input, { processId: input.processId, memberId: input.memberId }).handle({
    async decide(cmd) {
      const at = p.step;
      if (cmd.action === 'return') return p.record('test.returned', { patch: p.enter('filing'), payload: { from: at } });
      if (cmd.action === 'withdraw') return p.record('test.withdrawn', { patch: p.close('withdrawn') });
      if (at === 'filing') {
        const patch = p.enter('review');
        return p.record('test.filed', { patch, notify: p.task(GENERAL_BRANCH) });
      }
      return p.record('test.approved', { patch: p.close('approved') });
    },
  });
  if (await p.open((first) => openTestProcess({ processId: input.processId, first, refuse: input.refuseOpen ?? false }), ['conflict'])) await p.run();
  return p.finish({ step: p.state().step });
}
