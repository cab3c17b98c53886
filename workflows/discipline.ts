// Disciplinary handling (R18): verification by the branch, the talk with the member, the branch meeting's
// decision with its materials, approval by the committee above, the province's spot check; then the
// sanction applies. Probation is a timer followed by a review. Declared steps on the process skeleton
// (workflows/process.ts); what is particular is below: the talk and the meeting, the sanction, probation.
import { condition, defineUpdate, patched, proxyLocalActivities } from '@temporalio/workflow';
import type { ProcessActivities } from '../activities/processes';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import type { DisciplineInput, DisciplineStep, MeetingDecision, Sanction, TalkRecord } from '../domain/discipline';
import { disciplineWorkflowId } from '../domain/workflow-ids';
import type { ProcessDefinition, Recorded } from './definition';
import { Process } from './process';
import { LOCAL_ACTIVITY_OPTIONS, refuse } from './common';

export interface Actor {
  actorId: string;
  actorRole: string;
  /** The step the caller saw. */
  step?: string;
}

/** The early return's name before the one "recorded" update (workflows/definition.ts); kept for old callers. */
export const disciplineRecordedUpdate = defineUpdate<Recorded>('discipline-recorded');
/** Step 2: the talk with the member, recorded by the branch. */
export const talkUpdate = defineUpdate<{ step: DisciplineStep }, [TalkRecord & Actor]>('record-talk');
/** Step 3: the branch meeting's decision, with the materials already uploaded (id and content hash). */
export type MeetingRecord = MeetingDecision & Actor & { materials: { id: string; sha256: string }[] };
export const meetingUpdate = defineUpdate<{ step: DisciplineStep }, [MeetingRecord]>('meeting-decision');

/** What a case knows while it runs: its input, and the branch meeting's decision once taken. */
export interface DisciplineContext {
  input: DisciplineInput;
  talk?: TalkRecord;
  meeting?: MeetingDecision & { materials: { id: string; sha256: string }[] };
  /** R18: the branch's expulsion at the end of probation, waiting for the configured approver (patch probation-expulsion-approved). */
  expulsion?: { reason: string; proposedBy: string };
}

const BRANCH = ['branch_secretary'] as const;
const COMMITTEE = ['committee_admin', 'province_admin'] as const;
const PROVINCE = ['province_admin'] as const;
/**
 * R3: a committee above the acting organization extends a step's deadline. No role is named: the API's
 * authorization ('deadline.extend', api/process-steps.ts DECISION_AUTHZ) decides who, as for check-ins and deletions.
 */
const EXTEND = { rule: 'R3' } as const;

/** R18: the steps of a case, who decides each, and what each decision needs. */
export const disciplineProcess: ProcessDefinition<DisciplineStep, DisciplineContext> = {
  kind: 'discipline',
  noun: 'case',
  rule: 'R18',
  workflowId: disciplineWorkflowId,
  legacyRecordedUpdate: 'discipline-recorded',
  first: () => 'verification',
  steps: {
    verification: {
      label: 'Disciplinary case: verification by the branch',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.verification,
      decisions: {
        approve: { rule: 'R18', roles: BRANCH },
        reject: { rule: 'R18', roles: BRANCH, reason: true },
        resolve: { rule: 'R18', roles: BRANCH },
        extend: EXTEND,
      },
    },
    talk: {
      label: 'Disciplinary case: the talk with the member',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.talk,
      decisions: { resolve: { rule: 'R18', roles: BRANCH }, extend: EXTEND },
    },
    meeting: {
      label: "Disciplinary case: the branch meeting's decision",
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.meeting,
      decisions: { resolve: { rule: 'R18', roles: BRANCH }, extend: EXTEND },
    },
    approval: {
      label: 'Disciplinary case: approval by the committee above',
      // R18: an expulsion, decided by the meeting or after probation, is approved at the configured level (expulsionApproval).
      acting: (c) => (c.expulsion || c.meeting?.sanction === 'expulsion' ? c.input.expulsionApprover : c.input.approver),
      timing: (c) => c.input.timing.approval,
      decisions: {
        approve: { rule: 'R18', roles: COMMITTEE },
        return: { rule: 'R18', roles: COMMITTEE, reason: true },
        extend: EXTEND,
      },
    },
    'spot-check': {
      label: "Disciplinary case: the province's spot check",
      acting: (c) => c.input.province,
      timing: (c) => c.input.timing.spotCheck,
      decisions: {
        approve: { rule: 'R18', roles: PROVINCE },
        return: { rule: 'R18', roles: PROVINCE, reason: true },
        extend: EXTEND,
      },
    },
    probation: {
      label: 'Disciplinary case: probation',
      acting: (c) => c.input.branch,
      // Probation is a timer of 6 or 12 months: its "deadline" is its end.
      timing: (c) => ({
        deadlineMs: (c.meeting?.probationMonths ?? 6) * c.input.timing.probationMonthMs,
        // R18: 6 months are calendar months on the offices' calendar (workflows/steps.ts, patch probation-calendar-months).
        ...(c.input.timing.calendarMonths && c.input.timing.probationMonthMs % 86_400_000 === 0 ? { calendarMonths: c.meeting?.probationMonths ?? 6 } : {}),
        reminderOffsetsMs: [],
        escalationIntervalMs: c.input.timing.probationReview.escalationIntervalMs,
      }),
      decisions: {},
    },
    'probation-review': {
      label: 'Disciplinary case: review at the end of probation',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.probationReview,
      decisions: {
        approve: { rule: 'R18', roles: BRANCH },
        expel: { rule: 'R18', roles: BRANCH, reason: true },
        extend: EXTEND,
      },
    },
  },
  // R18: a closed case belongs to the member's branch again (cases closed before the patch
  // discipline-closes-at-branch stayed with the last acting organization: the workflow decides, see below).
  home: (c) => c.input.branch,
};

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

type Case = Process<DisciplineStep, DisciplineContext>;

/** The decision applies to the member (R18); probation starts its timer. */
async function applySanction(p: Case, c: DisciplineContext, actorId: string): Promise<void> {
  const meeting = c.meeting!;
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

/** A decision the declaration admitted, at the step the case is at. */
async function decide(p: Case, c: DisciplineContext, cmd: DecisionCommand): Promise<void> {
  const { input } = c;
  const orgId = p.acting.id;
  const at = p.step;
  const actorId = cmd.actorId;
  if (cmd.action === 'reject') {
    const patch = p.close('rejected');
    return p.record('discipline.dismissed', {
      orgId,
      actorId,
      payload: { reason: cmd.reason, step: at },
      patch,
      notifyMember: 'The case about you was dismissed.',
    });
  }
  if (cmd.action === 'resolve') {
    // R18: dues paid in full before the decision close a removal case (the API checked the ledger).
    const patch = p.close('resolved');
    return p.record('discipline.resolved', { orgId, actorId, payload: { reason: cmd.reason ?? 'dues paid in full', step: at }, patch });
  }
  if (at === 'verification') return p.record('discipline.verified', { orgId, actorId, payload: { reason: cmd.reason }, patch: p.enter('talk') });
  if (at === 'approval' && c.expulsion) {
    const proposed = c.expulsion;
    c.expulsion = undefined;
    if (cmd.action === 'approve') {
      // R18/R25: the approver's decision expels the member (the transition table checks they are still on probation).
      const patch = p.close('approved');
      return p.record('discipline.expelled', {
        orgId,
        actorId,
        payload: { reason: proposed.reason, proposedBy: proposed.proposedBy, afterProbation: true },
        patch,
        effect: { effect: 'probation.expel', sanction: 'expulsion' },
        notifyMember: 'After probation, you were expelled.',
      });
    }
    return p.record('discipline.returned', {
      orgId,
      actorId,
      payload: { reason: cmd.reason, to: 'probation-review' },
      patch: p.enter('probation-review'),
      notify: p.task(input.branch),
    });
  }
  if (at === 'approval' && cmd.action === 'approve') {
    if (input.spotCheck) return p.record('discipline.approved', { orgId, actorId, payload: {}, patch: p.enter('spot-check'), notify: p.task(input.province) });
    await p.record('discipline.approved', { orgId, actorId, payload: {} });
    return applySanction(p, c, actorId);
  }
  if (at === 'approval') {
    c.meeting = undefined;
    return p.record('discipline.returned', {
      orgId,
      actorId,
      payload: { reason: cmd.reason, to: 'meeting' },
      patch: p.enter('meeting'),
      notify: p.task(input.branch),
    });
  }
  if (at === 'spot-check' && cmd.action === 'approve') {
    await p.record('discipline.spot-checked', { orgId, actorId, payload: {} });
    return applySanction(p, c, actorId);
  }
  if (at === 'spot-check') {
    // R18: returned to the step whose procedure or materials are missing; what came after it is redone.
    const to = (cmd.toStep ?? 'meeting') as DisciplineStep;
    if (to === 'verification' || to === 'talk') c.talk = undefined;
    c.meeting = undefined;
    return p.record('discipline.returned', { orgId, actorId, payload: { reason: cmd.reason, to }, patch: p.enter(to), notify: p.task(input.branch) });
  }
  if (at === 'probation-review' && cmd.action === 'approve') {
    const patch = p.close('approved');
    return p.record('discipline.rights-restored', {
      orgId,
      actorId,
      payload: {},
      patch,
      member: { status: 'active', sanction: null },
      notifyMember: 'Your probation ended: your rights are restored.',
    });
  }
  if (at === 'probation-review' && patched('probation-expulsion-approved')) {
    // R18: the branch proposes; the configured expulsion approver decides (runs begun before the patch expel at once).
    c.expulsion = { reason: cmd.reason ?? '', proposedBy: actorId };
    const patch = p.enter('approval');
    return p.record('discipline.expulsion-proposed', { orgId, actorId, payload: { reason: cmd.reason }, patch, notify: p.task(input.expulsionApprover) });
  }
  if (at === 'probation-review') {
    const patch = p.close('approved');
    return p.record('discipline.expelled', {
      orgId,
      actorId,
      payload: { reason: cmd.reason },
      patch,
      member: { status: 'expelled', sanction: 'expulsion' },
      notifyMember: 'After probation, you were expelled.',
    });
  }
}

export async function discipline(input: DisciplineInput): Promise<{ processId: string; status: ProcessStatus; sanction: Sanction | null }> {
  const { processId, memberId } = input;
  const c: DisciplineContext = { input };
  const p: Case = new Process(disciplineProcess, c, {
    processId,
    memberId,
    // R18: a closed case belongs to the member's branch again, so the branch and the committees that acted on
    // it keep reading it after the province's spot check. Cases closed before the patch stayed where they were.
    home: () => (patched('discipline-closes-at-branch') ? input.branch : undefined),
  });

  p.handle({
    decide: (cmd) => decide(p, c, cmd),
    validate: (cmd) => {
      if (cmd.action === 'resolve' && input.grounds !== 'unpaid-dues') refuse('rule', 'only a removal case for unpaid dues is resolved by paying', 'R18');
      if (cmd.action === 'return' && p.step === 'spot-check' && !cmd.toStep)
        refuse('rule', 'a spot check returns the case to the missing step (toStep)', 'R18');
    },
  });

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

  // Probation is a timer (6 or 12 months); at its end the branch reviews.
  const probation = async () => {
    await condition(() => p.step !== 'probation' || !p.pending, p.watch.deadline - Date.now());
    if (p.step === 'probation' && p.pending) {
      await p.record('discipline.probation-ended', { patch: p.enter('probation-review'), payload: {}, notify: p.task(input.branch) });
    }
  };
  await p.run({ at: { probation } });
  return p.finish({ sanction: c.meeting?.sanction ?? null });
}
