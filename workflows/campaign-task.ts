// R22: a branch's task in a yearly campaign. The branch grades its members (education evaluation) and hands the
// grades in; the nearest committee above confirms them or returns them with a reason; the branch then registers
// every member (annual registration) and hands that in; members refused registration go to the deletion process
// (R14), and deferred ones are followed up at their date. Each step has its deadline from the campaign's plan
// (a deadline per level, moved for a city by the province), with the reminders and escalation every process has.
// The fan-out (workflows/campaign.ts) wrote the task's first rows before starting it, for 50,000 branches at once.
import { defineSignal, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities/campaigns';
import type { CampaignPhases, Due, Phase } from '../domain/campaign-plan';
import { dueAt, levelDeadline } from '../domain/campaign-plan';
import type { OrgRef } from '../domain/orgs';
import type { ProcessStatus } from '../domain/processes';
import { ACTIVITY_OPTIONS, applicationFailureIn, refuse } from './common';
import type { ProcessDefinition } from './definition';
import { Process } from './process';

export type CampaignTaskStepName = 'evaluation' | 'evaluation-review' | 'registration' | 'registration-check' | 'follow-up';

export interface CampaignTaskInput {
  processId: string;
  campaignId: string;
  /** The campaign's workflow ID: the task's own is derived from it (domain/workflow-ids.ts). */
  campaignWorkflowId: string;
  year: number;
  branch: OrgRef;
  /** The nearest committee above the branch: it confirms or returns the evaluation. */
  reviewer: OrgRef;
  phases: CampaignPhases;
  timing: { reminderOffsetsMs: number[]; escalationIntervalMs: number };
  /** The phases extended for the branch's city when the task started (later ones arrive as a signal). */
  extended?: Partial<Record<Phase, Due>>;
}

/** What the task learns as it runs: extensions, and the latest follow-up date of its deferred members. */
interface TaskContext {
  input: CampaignTaskInput;
  extended: Partial<Record<Phase, Due>>;
  followUpBy?: Due;
}

/** The province moved a phase's deadline for the branch's city (R22). */
export const campaignExtendedSignal = defineSignal<[{ phase: Phase; until: Due; reason: string; actorId: string }]>('campaignExtended');
/** The province closed the campaign: the task ends unfinished (its row already says so). */
export const campaignClosedSignal = defineSignal('campaignClosed');
/** R22/R25: a deferred member left and was settled: the follow-up checks again (services/campaigns.ts). */
export const registrationsSettledSignal = defineSignal('registrationsSettled');

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
export function stepDeadline(c: { input: CampaignTaskInput; extended: Partial<Record<Phase, Due>>; followUpBy?: Due }, step: CampaignTaskStepName): number {
  const { phases, reviewer } = c.input;
  if (step === 'evaluation') return levelDeadline(phases.evaluation, 'branch', c.extended.evaluation);
  if (step === 'evaluation-review') return levelDeadline(phases.evaluation, depthOf(reviewer), c.extended.evaluation);
  if (step === 'follow-up' && c.followUpBy !== undefined) return dueAt(c.followUpBy);
  return levelDeadline(phases.registration, 'branch', c.extended.registration);
}

/** A step the branch takes: it hands it in (`submit`); a committee above may extend it (R3). */
const branchStep = (label: string, step: CampaignTaskStepName) => ({
  label,
  acting: (c: TaskContext) => c.input.branch,
  timing: (c: TaskContext) => timingUntil(c, stepDeadline(c, step)),
  decisions: { submit: { rule: 'R22', roles: ['branch_secretary'] }, extend: { rule: 'R3' } },
});

/** R22: the steps of a branch's task; the API reads them (api/process-steps.ts). */
export const campaignTaskProcess: ProcessDefinition<CampaignTaskStepName, TaskContext> = {
  kind: 'campaign',
  noun: 'campaign task',
  rule: 'R22',
  // Tasks are started by the fan-out under campaignTaskWorkflowId (domain/workflow-ids.ts), never by startProcess.
  workflowId: (key) => key,
  first: () => 'evaluation',
  projectsDeadlines: true,
  // A closed task is the branch's again (the review step had handed it to the committee above).
  home: (c) => c.input.branch,
  steps: {
    evaluation: branchStep('Education evaluation: grades by the branch', 'evaluation'),
    'evaluation-review': {
      label: 'Education evaluation: confirmed by the committee above',
      acting: (c) => c.input.reviewer,
      timing: (c) => timingUntil(c, stepDeadline(c, 'evaluation-review')),
      decisions: { approve: { rule: 'R22' }, return: { rule: 'R22', reason: true }, extend: { rule: 'R3' } },
    },
    registration: branchStep('Annual registration by the branch', 'registration'),
    'registration-check': {
      label: 'Annual registration: refusals and deferrals handled',
      acting: (c) => c.input.branch,
      timing: (c) => timingUntil(c, stepDeadline(c, 'registration')),
      decisions: {},
      decidedElsewhere: { message: 'the registration is being settled', rule: 'R22' },
    },
    'follow-up': branchStep('Annual registration: deferred members followed up', 'follow-up'),
  },
};

const remote = proxyActivities<CampaignActivities>({ ...ACTIVITY_OPTIONS, startToCloseTimeout: '2 minutes', heartbeatTimeout: '30 seconds' });

export async function campaignTask(input: CampaignTaskInput): Promise<{ processId: string; status: ProcessStatus }> {
  const c: TaskContext = { input, extended: { ...input.extended } };
  const p = new Process(campaignTaskProcess, c, { processId: input.processId, memberId: null });
  let closedByCampaign = false;
  // Set by registrationsSettledSignal at the follow-up step: the registration is settled again.
  let settledHeard = false;

  p.handle({
    // Synchronous state change first (an async function runs to its first await), so a second decision in the same
    // moment fails validation.
    async decide(cmd) {
      const from = p.step;
      if (cmd.action === 'submit' && from === 'evaluation') {
        const patch = p.enter('evaluation-review');
        try {
          return await p.record('campaign-task.evaluated', { actorId: cmd.actorId, orgId: input.branch.id, patch, notify: p.task(input.reviewer) });
        } catch (e) {
          // R22: the hand-in is decided under the task's lock (activities/campaigns.ts): refused, nothing was written.
          const refusal = applicationFailureIn(e);
          if (refusal?.type !== 'rule' || !patched('campaign-cap-at-hand-in')) throw e;
          p.enter('evaluation');
          return refuse('rule', refusal.message, 'R22');
        }
      }
      if (cmd.action === 'approve') {
        const patch = p.enter('registration');
        return p.record('campaign-task.confirmed', {
          actorId: cmd.actorId,
          orgId: input.reviewer.id,
          patch,
          notify: [{ recipientOrgId: input.branch.id, kind: 'decision', message: 'Education evaluation confirmed: annual registration is open' }],
        });
      }
      if (cmd.action === 'return') {
        const patch = p.enter('evaluation');
        return p.record('campaign-task.returned', {
          actorId: cmd.actorId,
          orgId: input.reviewer.id,
          payload: { reason: cmd.reason },
          patch,
          notify: [{ recipientOrgId: input.branch.id, kind: 'decision', message: `Education evaluation returned: ${cmd.reason ?? ''}` }],
        });
      }
      // submit at registration or follow-up: the registration is settled by the process itself (below).
      const patch = p.enter('registration-check');
      return p.record('campaign-task.registration-submitted', { actorId: cmd.actorId, orgId: input.branch.id, payload: { from }, patch });
    },
  });

  setHandler(campaignExtendedSignal, async ({ phase, until, reason, actorId }) => {
    const before = c.extended[phase];
    if (before !== undefined && Date.parse(before) >= Date.parse(until)) return;
    c.extended[phase] = until;
    if (!p.pending || p.step === 'registration-check') return;
    const step = p.step;
    const deadline = stepDeadline(c, step);
    if ((step === 'evaluation' || step === 'evaluation-review') !== (phase === 'evaluation')) return;
    if (deadline <= p.watch.deadline) return;
    await p.extend({ action: 'extend', until: new Date(deadline).toISOString(), reason, actorId }, p.ready);
  });
  setHandler(registrationsSettledSignal, () => {
    if (p.pending && p.step === 'follow-up' && patched('campaign-follow-up-hears-settled')) settledHeard = true;
  });
  setHandler(campaignClosedSignal, () => {
    if (!p.pending) return;
    closedByCampaign = true;
    p.close('lapsed');
  });

  // The fan-out wrote the task's first rows (workflows/campaign.ts): nothing to write here.
  await p.open(async () => {});
  await p.run({
    wake: (step) => step === 'follow-up' && settledHeard,
    woken: async () => {
      settledHeard = false;
      const patch = p.enter('registration-check');
      await p.record('campaign-task.follow-up-settled', { orgId: input.branch.id, patch });
    },
    at: {
      'registration-check': async () => {
        const settled = await remote.settleRegistration({ campaignId: input.campaignId, orgId: input.branch.id, processId: input.processId });
        if (!p.pending || p.step !== 'registration-check') return;
        if (settled.followUpBy !== null) {
          c.followUpBy = settled.followUpBy;
          const patch = p.enter('follow-up');
          await p.record('campaign-task.deferred', {
            orgId: input.branch.id,
            payload: { deferred: settled.deferred, followUpBy: settled.followUpBy },
            patch,
            notify: p.task(input.branch),
          });
          return;
        }
        const patch = p.close('approved');
        await p.record('campaign-task.registered', { orgId: input.branch.id, payload: { refused: settled.refused, deletions: settled.deletions }, patch });
      },
    },
  });
  return p.finish({ closedByCampaign });
}
