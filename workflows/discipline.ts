// Disciplinary handling (R18): verification by the branch, the talk with the member, the branch meeting's
// decision with its materials, approval by the committee above, the province's spot check; then the
// sanction applies. Probation is a timer followed by a review. The declared steps (processes/discipline.ts) on
// the process skeleton (workflows/process.ts); what is particular is below: what each step's decision does, the
// talk and the meeting, the sanction, probation.
import { condition, proxyLocalActivities } from '@temporalio/workflow';
import type { ProcessActivities } from '../activities/processes';
import type { DecisionCommand } from '../domain/processes';
import type { DisciplineInput, DisciplineStep, Sanction, TalkRecord } from '../domain/discipline';
import { BRANCH, disciplineProcess, type DisciplineContext } from '../processes/discipline';
import { meetingUpdate, talkUpdate, type Actor, type MeetingRecord } from '../processes/messages';
import { ProcessRun, type ProcessResult } from './process';
import { LOCAL_ACTIVITY_OPTIONS } from './options';
import { refuse } from './refusals';

const local = proxyLocalActivities<ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);

const SANCTION_STATUS: Record<Sanction, 'active' | 'probation' | 'expelled' | 'removed'> = {
  none: 'active',
  warning: 'active',
  'serious-warning': 'active',
  'removal-from-posts': 'active',
  probation: 'probation',
  expulsion: 'expelled',
  'removal-from-roll': 'removed',
};

/** A decision at a step: the command, and the organization that took it (the one acting before the decision moves the case). */
type Decided = (cmd: DecisionCommand, orgId: string) => Promise<void>;

class DisciplineCase extends ProcessRun<DisciplineStep, DisciplineContext, { sanction: Sanction | null }> {
  readonly c: DisciplineContext;

  constructor(readonly input: DisciplineInput) {
    const c: DisciplineContext = { input };
    super(disciplineProcess, c, { processId: input.processId, memberId: input.memberId });
    this.c = c;
  }

  /**
   * What a decision does at each step that takes one besides a dismissal or a resolve (the declaration says which
   * decisions each step takes, and the validator refused any other): the talk, the meeting and probation take none.
   */
  readonly #at: Partial<Record<DisciplineStep, Decided>> = {
    verification: (cmd, orgId) =>
      this.p.record('discipline.verified', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason }, patch: this.p.enter('talk') }),
    approval: (cmd, orgId) =>
      this.c.expulsion ? this.expulsionDecided(cmd, orgId) : cmd.action === 'approve' ? this.approved(cmd, orgId) : this.returnedToMeeting(cmd, orgId),
    'spot-check': (cmd, orgId) => (cmd.action === 'approve' ? this.spotChecked(cmd, orgId) : this.returnedTo(cmd, orgId)),
    'probation-review': (cmd, orgId) => (cmd.action === 'approve' ? this.rightsRestored(cmd, orgId) : this.expulsionProposed(cmd, orgId)),
  };

  async decide(cmd: DecisionCommand): Promise<void> {
    const { p } = this;
    const orgId = p.acting.id;
    const at = p.step;
    if (cmd.action === 'reject') {
      const patch = p.close('rejected');
      return p.record('discipline.dismissed', {
        orgId,
        actorId: cmd.actorId,
        payload: { reason: cmd.reason, step: at },
        patch,
        notifyMember: 'The case about you was dismissed.',
      });
    }
    if (cmd.action === 'resolve') {
      // R18: dues paid in full before the decision close a removal case (the API checked the ledger).
      const patch = p.close('resolved');
      return p.record('discipline.resolved', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason ?? 'dues paid in full', step: at }, patch });
    }
    return this.#at[at]?.(cmd, orgId);
  }

  override validate(cmd: DecisionCommand): void {
    if (cmd.action === 'resolve' && this.input.grounds !== 'unpaid-dues') refuse('rule', 'only a removal case for unpaid dues is resolved by paying', 'R18');
    if (cmd.action === 'return' && this.p.step === 'spot-check' && !cmd.toStep)
      refuse('rule', 'a spot check returns the case to the missing step (toStep)', 'R18');
  }

  /** The committee above approves the meeting's decision: the province's spot check next, or the sanction applies. */
  private async approved(cmd: DecisionCommand, orgId: string): Promise<void> {
    const { p, input } = this;
    const actorId = cmd.actorId;
    if (input.spotCheck) return p.record('discipline.approved', { orgId, actorId, payload: {}, patch: p.enter('spot-check'), notify: p.task(input.province) });
    await p.record('discipline.approved', { orgId, actorId, payload: {} });
    return this.applySanction(actorId);
  }

  /** The committee above returns the decision to the branch meeting, which decides again. */
  private returnedToMeeting(cmd: DecisionCommand, orgId: string): Promise<void> {
    const { p, input } = this;
    this.c.meeting = undefined;
    return p.record('discipline.returned', {
      orgId,
      actorId: cmd.actorId,
      payload: { reason: cmd.reason, to: 'meeting' },
      patch: p.enter('meeting'),
      notify: p.task(input.branch),
    });
  }

  private async spotChecked(cmd: DecisionCommand, orgId: string): Promise<void> {
    await this.p.record('discipline.spot-checked', { orgId, actorId: cmd.actorId, payload: {} });
    return this.applySanction(cmd.actorId);
  }

  /** R18: the spot check returns the case to the step whose procedure or materials are missing; what came after it is redone. */
  private returnedTo(cmd: DecisionCommand, orgId: string): Promise<void> {
    const { p, c, input } = this;
    const to = (cmd.toStep ?? 'meeting') as DisciplineStep;
    if (to === 'verification' || to === 'talk') c.talk = undefined;
    c.meeting = undefined;
    return p.record('discipline.returned', {
      orgId,
      actorId: cmd.actorId,
      payload: { reason: cmd.reason, to },
      patch: p.enter(to),
      notify: p.task(input.branch),
    });
  }

  private rightsRestored(cmd: DecisionCommand, orgId: string): Promise<void> {
    const patch = this.p.close('approved');
    return this.p.record('discipline.rights-restored', {
      orgId,
      actorId: cmd.actorId,
      payload: {},
      patch,
      member: { status: 'active', sanction: null },
      notifyMember: 'Your probation ended: your rights are restored.',
    });
  }

  /** R18: at the end of probation the branch proposes an expulsion; the configured expulsion approver decides. */
  private expulsionProposed(cmd: DecisionCommand, orgId: string): Promise<void> {
    const { p, c, input } = this;
    c.expulsion = { reason: cmd.reason ?? '', proposedBy: cmd.actorId };
    const patch = p.enter('approval');
    return p.record('discipline.expulsion-proposed', {
      orgId,
      actorId: cmd.actorId,
      payload: { reason: cmd.reason },
      patch,
      notify: p.task(input.expulsionApprover),
    });
  }

  /** The approver decides the proposed expulsion: the member is expelled, or the case returns to the probation review. */
  private expulsionDecided(cmd: DecisionCommand, orgId: string): Promise<void> {
    const { p, c, input } = this;
    const proposed = c.expulsion!;
    c.expulsion = undefined;
    if (cmd.action === 'approve') {
      // R18/R25: the approver's decision expels the member (the transition table checks they are still on probation).
      const patch = p.close('approved');
      return p.record('discipline.expelled', {
        orgId,
        actorId: cmd.actorId,
        payload: { reason: proposed.reason, proposedBy: proposed.proposedBy, afterProbation: true },
        patch,
        effect: { effect: 'probation.expel', sanction: 'expulsion' },
        notifyMember: 'After probation, you were expelled.',
      });
    }
    return p.record('discipline.returned', {
      orgId,
      actorId: cmd.actorId,
      payload: { reason: cmd.reason, to: 'probation-review' },
      patch: p.enter('probation-review'),
      notify: p.task(input.branch),
    });
  }

  /** The decision applies to the member (R18); probation starts its timer. */
  private async applySanction(actorId: string): Promise<void> {
    const { p } = this;
    const meeting = this.c.meeting!;
    const sanction = meeting.sanction;
    const member = { status: SANCTION_STATUS[sanction], sanction: sanction === 'none' ? null : sanction };
    if (sanction === 'probation') {
      const patch = p.enter('probation');
      await p.record('discipline.sanction-applied', {
        actorId,
        payload: { sanction, probationMonths: meeting.probationMonths },
        patch,
        member,
        notifyMember: `A sanction applies to you: probation for ${meeting.probationMonths} months.`,
      });
      return;
    }
    const patch = p.close('approved');
    await p.record('discipline.sanction-applied', {
      actorId,
      payload: { sanction },
      patch,
      member,
      notifyMember: sanction === 'none' ? 'Your case was closed with no action.' : `A sanction applies to you: ${sanction}.`,
    });
  }

  /** The two records the branch makes besides its decisions: the talk with the member, the meeting's decision. */
  protected override setHandlers(): void {
    const { p, c } = this;
    p.update(
      talkUpdate,
      async (t: TalkRecord & Actor) => {
        const orgId = p.acting.id;
        c.talk = { heldOn: t.heldOn, summary: t.summary };
        await p.record('discipline.talk-recorded', { orgId, actorId: t.actorId, payload: { heldOn: t.heldOn }, patch: p.enter('meeting') });
        return { step: p.step };
      },
      (t: TalkRecord & Actor) => p.refuseUnlessActor(t, ['talk'], BRANCH),
    );
    p.update(
      meetingUpdate,
      async (m: MeetingRecord) => {
        const orgId = p.acting.id;
        c.meeting = m;
        const patch = p.enter('approval');
        const payload = { heldOn: m.heldOn, sanction: m.sanction, probationMonths: m.probationMonths, materials: m.materials };
        await p.record('discipline.decided', { orgId, actorId: m.actorId, payload, patch, notify: p.task(p.acting) });
        return { step: p.step };
      },
      (m: MeetingRecord) => {
        p.refuseUnlessActor(m, ['meeting'], BRANCH);
        if (!c.talk) refuse('rule', 'the talk with the member must be recorded first', 'R18');
        if (!Array.isArray(m.materials) || m.materials.length === 0) refuse('rule', 'the decision needs its materials uploaded', 'R18');
      },
    );
  }

  protected async execute(): Promise<ProcessResult<{ sanction: Sanction | null }>> {
    const { p, input } = this;
    const { processId, memberId } = input;
    // R25: refused when a process open for the member forbids a case beside it (a transfer, domain/member-transitions.ts).
    const opened = await p.open(
      (first) =>
        local.openProcess({
          key: `${processId}:opened`,
          processId,
          kind: 'discipline',
          memberId,
          org: { id: input.branch.id, path: input.branch.path },
          step: 'verification',
          deadline: first.deadline ?? null,
          type: 'discipline.opened',
          actorId: input.startedBy,
          payload: { grounds: input.grounds, details: input.details, spotCheck: input.spotCheck },
          notify: [
            { recipientOrgId: input.branch.id, kind: 'task', message: `${disciplineProcess.steps.verification.label}: a case was opened (${input.grounds})` },
          ],
        }),
      ['conflict'],
    );
    if (!opened) return p.finish({ sanction: null });
    await p.run({ at: { probation: () => this.probation() } });
    return p.finish({ sanction: this.c.meeting?.sanction ?? null });
  }

  /** Probation is a timer (6 or 12 months); at its end the branch reviews. */
  private async probation(): Promise<void> {
    const { p, input } = this;
    await condition(() => p.step !== 'probation' || !p.pending, p.watch.deadline - Date.now());
    if (p.step === 'probation' && p.pending) {
      await p.record('discipline.probation-ended', { patch: p.enter('probation-review'), payload: {}, notify: p.task(input.branch) });
    }
  }
}

export async function discipline(input: DisciplineInput): Promise<ProcessResult<{ sanction: Sanction | null }>> {
  return new DisciplineCase(input).run();
}
