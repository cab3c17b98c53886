// R22: a branch's task in a yearly campaign. The branch grades its members (education evaluation) and hands the
// grades in; the nearest committee above confirms them or returns them with a reason; the branch then registers
// every member (annual registration) and hands that in; members refused registration go to the deletion process
// (R14), and deferred ones are followed up at their date. Each step has its deadline from the campaign's plan
// (a deadline per level, moved for a city by the province), with the reminders and escalation every process has.
// The fan-out (workflows/campaign.ts) wrote the task's first rows before starting it, for 50,000 branches at once.
// The declared steps (processes/campaign-task.ts) on the process skeleton (workflows/process.ts).
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { CampaignActivities } from '../activities/campaigns';
import type { CampaignTaskInput, CampaignTaskStepName } from '../domain/campaign-plan';
import type { DecisionCommand } from '../domain/processes';
import { registrationsSettledSignal } from '../processes/messages';
import { campaignClosedSignal, campaignExtendedSignal } from '../processes/campaign';
import { campaignTaskProcess, stepDeadline, type TaskContext } from '../processes/campaign-task';
import { ProcessRun, type ProcessResult } from './process';
import { ACTIVITY_OPTIONS } from './options';
import { applicationFailureIn, refuse } from './refusals';

const remote = proxyActivities<CampaignActivities>({ ...ACTIVITY_OPTIONS, startToCloseTimeout: '2 minutes', heartbeatTimeout: '30 seconds' });

class CampaignTaskRun extends ProcessRun<CampaignTaskStepName, TaskContext, { closedByCampaign: boolean }> {
  readonly c: TaskContext;
  closedByCampaign = false;
  /** Set by registrationsSettledSignal at the follow-up step: the registration is settled again. */
  settledHeard = false;

  constructor(readonly input: CampaignTaskInput) {
    const c: TaskContext = { input, extended: { ...input.extended } };
    super(campaignTaskProcess, c, { processId: input.processId, memberId: null });
    this.c = c;
  }

  // Synchronous state change first (an async function runs to its first await), so a second decision in the same
  // moment fails validation.
  async decide(cmd: DecisionCommand): Promise<void> {
    const { p, input } = this;
    const from = p.step;
    if (cmd.action === 'submit' && from === 'evaluation') {
      const patch = p.enter('evaluation-review');
      try {
        return await p.record('campaign-task.evaluated', { actorId: cmd.actorId, orgId: input.branch.id, patch, notify: p.task(input.reviewer) });
      } catch (e) {
        // R22: the hand-in is decided under the task's lock (activities/campaigns.ts): refused, nothing was written.
        const refusal = applicationFailureIn(e);
        if (refusal?.type !== 'rule') throw e;
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
    // submit at registration or follow-up: the registration is settled by the process itself (`registrationCheck`).
    const patch = p.enter('registration-check');
    return p.record('campaign-task.registration-submitted', { actorId: cmd.actorId, orgId: input.branch.id, payload: { from }, patch });
  }

  /** The campaign's messages: a city's phase extended, a deferred member settled, the campaign closed. */
  protected override setHandlers(): void {
    const { p, c } = this;
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
      if (p.pending && p.step === 'follow-up') this.settledHeard = true;
    });
    setHandler(campaignClosedSignal, () => {
      if (!p.pending) return;
      this.closedByCampaign = true;
      p.close('lapsed');
    });
  }

  protected async execute(): Promise<ProcessResult<{ closedByCampaign: boolean }>> {
    const { p } = this;
    // The fan-out wrote the task's first rows (workflows/campaign.ts): nothing to write here.
    await p.open(async () => {});
    await p.run({
      wake: (step) => step === 'follow-up' && this.settledHeard,
      woken: () => this.followUpSettled(),
      at: { 'registration-check': () => this.registrationCheck() },
    });
    return p.finish({ closedByCampaign: this.closedByCampaign });
  }

  /** R22/R25: a deferred member was settled meanwhile: the registration is checked again. */
  private async followUpSettled(): Promise<void> {
    this.settledHeard = false;
    const patch = this.p.enter('registration-check');
    await this.p.record('campaign-task.follow-up-settled', { orgId: this.input.branch.id, patch });
  }

  /** The registration handed in is settled: refusals go to deletion, deferred members to a follow-up, or the task ends. */
  private async registrationCheck(): Promise<void> {
    const { p, c, input } = this;
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
  }
}

export async function campaignTask(input: CampaignTaskInput): Promise<ProcessResult<{ closedByCampaign: boolean }>> {
  return new CampaignTaskRun(input).run();
}
