// A test workflow on ProcessSteps (workflows/steps.ts) with a small step table of two waiting steps: the branch
// files (5 days, reminded a day before), the general branch reviews (10 days, reminded 3 days and 1 day before).
// Approving moves on (or closes at the review), returning sends it back to the branch, so a step is visited again.
// The shared deadline hooks (workflows/deadline-hooks.ts) call the stub activity `recordProcessEvent`.
import { allHandlersFinished, condition, defineQuery, defineUpdate, setHandler } from '@temporalio/workflow';
import type { ProcessPatch } from '../../../activities/processes';
import type { StepTiming } from '../../../domain/durations';
import type { OrgRef } from '../../../domain/orgs';
import type { ProcessState } from '../../../domain/processes';
import { decideUpdate, stateQuery } from '../../../processes/messages';
import { extensionProblem } from '../../../workflows/refusals';
import { ProcessSteps } from '../../../workflows/steps';

export type TestStep = 'filing' | 'review';

const DAY = 86_400_000;

export const CITY: OrgRef = { id: 'org-city', path: '/org-city', parentId: null, kind: 'committee' };
export const GENERAL_BRANCH: OrgRef = { id: 'org-gb', path: '/org-city/org-gb', parentId: 'org-city', kind: 'general_branch' };
export const BRANCH: OrgRef = { id: 'org-branch', path: '/org-city/org-gb/org-branch', parentId: 'org-gb', kind: 'branch' };

export const STEP_TABLE: Record<TestStep, { label: string; acting: OrgRef; timing: StepTiming }> = {
  filing: { label: 'Test: filing by the branch', acting: BRANCH, timing: { deadlineMs: 5 * DAY, reminderOffsetsMs: [1 * DAY], escalationIntervalMs: 1 * DAY } },
  review: {
    label: 'Test: review by the general branch',
    acting: GENERAL_BRANCH,
    timing: { deadlineMs: 10 * DAY, reminderOffsetsMs: [3 * DAY, 1 * DAY], escalationIntervalMs: 1 * DAY },
  },
};

export const TEST_RULE = 'R-test';

export interface StepsView {
  startedAt: number;
  step: TestStep;
  visits: number;
  keyPrefix: string;
  actingOrgId: string;
  deadline: number;
  /** What enter() and close() returned, in order: the read-model changes. */
  patches: ProcessPatch[];
}

export const stepsQuery = defineQuery<StepsView>('steps');
/** With `linger`, a closed process stays open until this update (decisions can still reach it meanwhile). */
export const releaseUpdate = defineUpdate<void>('release');

export async function stepsWorkflow(input: { processId: string; memberId: string; linger?: boolean }): Promise<ProcessState> {
  const startedAt = Date.now();
  const patches: ProcessPatch[] = [];
  const steps = new ProcessSteps<TestStep>({
    processId: input.processId,
    memberId: input.memberId,
    first: 'filing',
    label: { filing: STEP_TABLE.filing.label, review: STEP_TABLE.review.label },
    actingOrg: (s) => STEP_TABLE[s].acting,
    timing: (s) => STEP_TABLE[s].timing,
    // A closed process belongs to the member's branch again, whoever acted last.
    home: () => BRANCH,
  });

  setHandler(stateQuery, () => steps.state());
  setHandler(stepsQuery, () => ({
    startedAt,
    step: steps.step,
    visits: steps.visits,
    keyPrefix: steps.context().keyPrefix,
    actingOrgId: steps.acting.id,
    deadline: steps.watch.deadline,
    patches,
  }));
  setHandler(
    decideUpdate,
    steps.decisionHandler(
      async (cmd) => {
        if (cmd.action === 'return') patches.push(steps.enter('filing'));
        else if (cmd.action === 'approve') patches.push(steps.step === 'filing' ? steps.enter('review') : steps.close('approved'));
        else if (cmd.action === 'withdraw') patches.push(steps.close('withdrawn'));
      },
      async () => {},
    ),
    {
      validator: (cmd) => {
        steps.refuseUnlessAt(cmd, 'test process', TEST_RULE);
        if (cmd.action === 'extend') extensionProblem(cmd, steps.watch);
      },
    },
  );

  while (steps.pending) {
    const visit = steps.visits;
    await steps.watch.run(() => !steps.pending || steps.visits !== visit);
  }
  let released = !input.linger;
  setHandler(releaseUpdate, () => {
    released = true;
  });
  await condition(() => released && allHandlersFinished());
  return steps.state();
}
