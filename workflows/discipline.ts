// Disciplinary handling (R18): verification by the branch, the talk with the member, the branch meeting's
// decision with its materials, approval by the committee above, the province's spot check; then the
// sanction applies. Probation is a timer followed by a review. Every waiting step has a deadline.
import { allHandlersFinished, condition, defineUpdate, patched, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { ProcessActivities, ProcessEventInput } from '../activities/processes';
import type { DecisionCommand, DecisionResult, ProcessStatus } from '../domain/processes';
import type { DisciplineInput, DisciplineStep, MeetingDecision, Sanction, TalkRecord } from '../domain/discipline';
import type { OrgRef } from '../domain/orgs';
import { ProcessSteps } from './steps';
import { recordedUpdate, type ProcessDefinition } from './definition';
import { disciplineWorkflowId } from '../domain/workflow-ids';
import { LOCAL_ACTIVITY_OPTIONS, decideUpdate, decisionShapeProblem, extensionProblem, refuse, stateQuery } from './common';

export interface Actor {
  actorId: string;
  actorRole: string;
  /** The step the caller saw. */
  step?: string;
}

/** Answers once the case is recorded, so the API can show it at once. */
export const disciplineRecordedUpdate = defineUpdate<{ processId: string; step: DisciplineStep; deadline: string }>('discipline-recorded');
/** Step 2: the talk with the member, recorded by the branch. */
export const talkUpdate = defineUpdate<{ step: DisciplineStep }, [TalkRecord & Actor]>('record-talk');
/** Step 3: the branch meeting's decision, with the materials already uploaded (id and content hash). */
export const meetingUpdate = defineUpdate<{ step: DisciplineStep }, [MeetingDecision & Actor & { materials: { id: string; sha256: string }[] }]>('meeting-decision');

/** What a case knows while it runs: its input, and the branch meeting's decision once taken. */
export interface DisciplineContext {
  input: DisciplineInput;
  meeting?: MeetingDecision & { materials: { id: string; sha256: string }[] };
}

const BRANCH = ['branch_secretary'] as const;
const COMMITTEE = ['committee_admin', 'province_admin'] as const;
const PROVINCE = ['province_admin'] as const;

/** R18: the steps of a case, who decides each (extensions too), and what each decision needs. */
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
        extend: { rule: 'R18', roles: BRANCH },
      },
    },
    talk: {
      label: 'Disciplinary case: the talk with the member',
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.talk,
      decisions: { resolve: { rule: 'R18', roles: BRANCH }, extend: { rule: 'R18', roles: BRANCH } },
    },
    meeting: {
      label: "Disciplinary case: the branch meeting's decision",
      acting: (c) => c.input.branch,
      timing: (c) => c.input.timing.meeting,
      decisions: { resolve: { rule: 'R18', roles: BRANCH }, extend: { rule: 'R18', roles: BRANCH } },
    },
    approval: {
      label: 'Disciplinary case: approval by the committee above',
      acting: (c) => (c.meeting?.sanction === 'expulsion' ? c.input.expulsionApprover : c.input.approver),
      timing: (c) => c.input.timing.approval,
      decisions: {
        approve: { rule: 'R18', roles: COMMITTEE },
        return: { rule: 'R18', roles: COMMITTEE, reason: true },
        extend: { rule: 'R18', roles: COMMITTEE },
      },
    },
    'spot-check': {
      label: "Disciplinary case: the province's spot check",
      acting: (c) => c.input.province,
      timing: (c) => c.input.timing.spotCheck,
      decisions: {
        approve: { rule: 'R18', roles: PROVINCE },
        return: { rule: 'R18', roles: PROVINCE, reason: true },
        extend: { rule: 'R18', roles: PROVINCE },
      },
    },
    probation: {
      label: 'Disciplinary case: probation',
      acting: (c) => c.input.branch,
      // Probation is a timer of 6 or 12 months: its "deadline" is its end.
      timing: (c) => ({
        deadlineMs: (c.meeting?.probationMonths ?? 6) * c.input.timing.probationMonthMs,
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
        extend: { rule: 'R18', roles: BRANCH },
      },
    },
  },
  // R18: a closed case belongs to the member's branch again (cases closed before the patch
  // discipline-closes-at-branch stayed with the last acting organization: the workflow decides, see below).
  home: (c) => c.input.branch,
};

const local = proxyLocalActivities<ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);

const LABEL: Record<DisciplineStep, string> = {
  verification: 'Disciplinary case: verification by the branch',
  talk: 'Disciplinary case: the talk with the member',
  meeting: "Disciplinary case: the branch meeting's decision",
  approval: 'Disciplinary case: approval by the committee above',
  'spot-check': "Disciplinary case: the province's spot check",
  probation: 'Disciplinary case: probation',
  'probation-review': 'Disciplinary case: review at the end of probation',
};

/** Who decides at each step (R18), checked again in the validator whatever the API checked. */
const ROLE: Record<DisciplineStep, string[]> = {
  verification: ['branch_secretary'],
  talk: ['branch_secretary'],
  meeting: ['branch_secretary'],
  approval: ['committee_admin', 'province_admin'],
  'spot-check': ['province_admin'],
  probation: [],
  'probation-review': ['branch_secretary'],
};

const ACTIONS: Record<DisciplineStep, DecisionCommand['action'][]> = {
  verification: ['approve', 'reject', 'resolve', 'extend'],
  talk: ['resolve', 'extend'],
  meeting: ['resolve', 'extend'],
  approval: ['approve', 'return', 'extend'],
  'spot-check': ['approve', 'return', 'extend'],
  probation: [],
  'probation-review': ['approve', 'expel', 'extend'],
};

const SANCTION_STATUS: Record<Sanction, 'active' | 'probation' | 'expelled' | 'removed'> = {
  none: 'active',
  warning: 'active',
  'serious-warning': 'active',
  'removal-from-posts': 'active',
  probation: 'probation',
  expulsion: 'expelled',
  'removal-from-roll': 'removed',
};

export async function discipline(input: DisciplineInput): Promise<{ processId: string; status: ProcessStatus; sanction: Sanction | null }> {
  const { processId, memberId } = input;
  let recorded = false;
  let talk: TalkRecord | undefined;
  let meeting: (MeetingDecision & { materials: { id: string; sha256: string }[] }) | undefined;
  let sequence = 0;

  function timingOf(s: DisciplineStep) {
    const t = input.timing;
    const map = { verification: t.verification, talk: t.talk, meeting: t.meeting, approval: t.approval, 'spot-check': t.spotCheck, 'probation-review': t.probationReview };
    // Probation is a timer of 6 or 12 months: its "deadline" is its end.
    const probation = { deadlineMs: (meeting?.probationMonths ?? 6) * t.probationMonthMs, reminderOffsetsMs: [], escalationIntervalMs: t.probationReview.escalationIntervalMs };
    return s === 'probation' ? probation : map[s];
  }
  const steps = new ProcessSteps<DisciplineStep>({
    processId,
    memberId,
    first: 'verification',
    label: LABEL,
    actingOrg: (s) => (s === 'approval' ? (meeting?.sanction === 'expulsion' ? input.expulsionApprover : input.approver) : s === 'spot-check' ? input.province : input.branch),
    timing: timingOf,
    // R18: a closed case belongs to the member's branch again, so the branch and the committees that acted on
    // it (all above the branch) keep reading it after the province's spot check. Cases closed before the
    // patch stayed with the last acting organization.
    home: () => (patched('discipline-closes-at-branch') ? input.branch : undefined),
  });
  const enter = (next: DisciplineStep) => steps.enter(next);
  const close = (outcome: ProcessStatus) => steps.close(outcome);

  async function record(type: string, e: Omit<ProcessEventInput, 'key' | 'processId' | 'memberId' | 'type' | 'orgId'> & { orgId?: string }) {
    sequence += 1;
    const key = `${processId}:${sequence}:${type}`;
    const orgId = e.orgId ?? steps.acting.id;
    await condition(() => recorded);
    await local.recordProcessEvent({ key, processId, memberId, type, ...e, orgId });
  }
  const task = (org: OrgRef) => [{ recipientOrgId: org.id, kind: 'task' as const, message: `${LABEL[steps.step]}: your decision is needed` }];

  /** The decision applies to the member (R18); probation starts its timer. */
  async function applySanction(actorId: string) {
    const sanction = meeting!.sanction;
    const member = { status: SANCTION_STATUS[sanction], sanction: sanction === 'none' ? null : sanction };
    if (sanction === 'probation') {
      const patch = enter('probation');
      await record('discipline.sanction-applied', { actorId, payload: { sanction, probationMonths: meeting!.probationMonths }, patch, member, notifyMember: `A sanction applies to you: probation for ${meeting!.probationMonths} months.` });
      return;
    }
    const patch = close('approved');
    await record('discipline.sanction-applied', { actorId, payload: { sanction }, patch, member, notifyMember: sanction === 'none' ? 'Your case was closed with no action.' : `A sanction applies to you: ${sanction}.` });
  }

  setHandler(stateQuery, () => steps.state());

  const actorProblem = (a: Actor, at: DisciplineStep[]) => {
    steps.refuseUnlessAt(a, 'case', 'R18');
    const step = steps.step;
    if (!at.includes(step)) refuse('rule', `not possible at the step "${step}"`, 'R18');
    if (!ROLE[step].includes(a.actorRole)) refuse('forbidden', `the step "${step}" is decided by ${ROLE[step].join(' or ') || 'nobody'}`);
  };

  setHandler(
    decideUpdate,
    async (cmd): Promise<DecisionResult> => {
      const orgId = steps.acting.id;
      const at = steps.step;
      if (cmd.action === 'extend') {
        await steps.extend(cmd, async () => condition(() => recorded));
      } else if (cmd.action === 'reject') {
        const patch = close('rejected');
        await record('discipline.dismissed', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason, step: at }, patch, notifyMember: 'The case about you was dismissed.' });
      } else if (cmd.action === 'resolve') {
        // R18: dues paid in full before the decision close a removal case (the API checked the ledger).
        const patch = close('resolved');
        await record('discipline.resolved', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason ?? 'dues paid in full', step: at }, patch });
      } else if (at === 'verification') {
        const patch = enter('talk');
        await record('discipline.verified', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason }, patch });
      } else if (at === 'approval' && cmd.action === 'approve') {
        if (input.spotCheck) {
          const patch = enter('spot-check');
          await record('discipline.approved', { orgId, actorId: cmd.actorId, payload: {}, patch, notify: task(input.province) });
        } else {
          await record('discipline.approved', { orgId, actorId: cmd.actorId, payload: {} });
          await applySanction(cmd.actorId);
        }
      } else if (at === 'approval') {
        meeting = undefined;
        const patch = enter('meeting');
        await record('discipline.returned', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason, to: 'meeting' }, patch, notify: task(input.branch) });
      } else if (at === 'spot-check' && cmd.action === 'approve') {
        await record('discipline.spot-checked', { orgId, actorId: cmd.actorId, payload: {} });
        await applySanction(cmd.actorId);
      } else if (at === 'spot-check') {
        // R18: returned to the step whose procedure or materials are missing; what came after it is redone.
        const to = (cmd.toStep ?? 'meeting') as DisciplineStep;
        if (to === 'verification' || to === 'talk') talk = undefined;
        meeting = undefined;
        const patch = enter(to);
        await record('discipline.returned', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason, to }, patch, notify: task(input.branch) });
      } else if (at === 'probation-review' && cmd.action === 'approve') {
        const patch = close('approved');
        await record('discipline.rights-restored', { orgId, actorId: cmd.actorId, payload: {}, patch, member: { status: 'active', sanction: null }, notifyMember: 'Your probation ended: your rights are restored.' });
      } else if (at === 'probation-review') {
        const patch = close('approved');
        await record('discipline.expelled', { orgId, actorId: cmd.actorId, payload: { reason: cmd.reason }, patch, member: { status: 'expelled', sanction: 'expulsion' }, notifyMember: 'After probation, you were expelled.' });
      }
      return { status: steps.status, deadline: new Date(steps.watch.deadline).toISOString() };
    },
    {
      validator: (cmd) => {
        const shape = decisionShapeProblem(cmd);
        if (shape) refuse('invalid', `bad decision: ${shape}`);
        actorProblem({ actorId: cmd.actorId, actorRole: cmd.actorRole ?? '', step: cmd.step }, (Object.keys(ACTIONS) as DisciplineStep[]).filter((s) => ACTIONS[s].includes(cmd.action)));
        if ((cmd.action === 'reject' || cmd.action === 'return' || cmd.action === 'expel') && !cmd.reason) refuse('rule', `"${cmd.action}" needs a reason`, 'R18');
        if (cmd.action === 'resolve' && input.grounds !== 'unpaid-dues') refuse('rule', 'only a removal case for unpaid dues is resolved by paying', 'R18');
        if (cmd.action === 'return' && steps.step === 'spot-check' && !cmd.toStep) refuse('rule', 'a spot check returns the case to the missing step (toStep)', 'R18');
        if (cmd.action === 'extend') extensionProblem(cmd, steps.watch);
      },
    },
  );

  setHandler(
    talkUpdate,
    async (t) => {
      const orgId = steps.acting.id;
      talk = { heldOn: t.heldOn, summary: t.summary };
      const patch = enter('meeting');
      await record('discipline.talk-recorded', { orgId, actorId: t.actorId, payload: { heldOn: t.heldOn }, patch });
      return { step: steps.step };
    },
    { validator: (t) => actorProblem(t, ['talk']) },
  );

  setHandler(
    meetingUpdate,
    async (m) => {
      const orgId = steps.acting.id;
      meeting = m;
      const patch = enter('approval');
      await record('discipline.decided', {
        orgId,
        actorId: m.actorId,
        payload: { heldOn: m.heldOn, sanction: m.sanction, probationMonths: m.probationMonths, materials: m.materials },
        patch,
        notify: task(steps.acting),
      });
      return { step: steps.step };
    },
    {
      validator: (m) => {
        actorProblem(m, ['meeting']);
        if (!talk) refuse('rule', 'the talk with the member must be recorded first', 'R18');
        if (!Array.isArray(m.materials) || m.materials.length === 0) refuse('rule', 'the decision needs its materials uploaded', 'R18');
      },
    },
  );

  const answerRecorded = async () => {
    await condition(() => recorded);
    return { processId, step: steps.step, deadline: new Date(steps.watch.deadline).toISOString() };
  };
  setHandler(recordedUpdate, answerRecorded);
  setHandler(disciplineRecordedUpdate, answerRecorded);

  await local.openProcess({
    key: `${processId}:opened`,
    processId,
    kind: 'discipline',
    memberId,
    org: { id: input.branch.id, path: input.branch.path },
    step: 'verification',
    deadline: new Date(steps.watch.deadline).toISOString(),
    type: 'discipline.opened',
    actorId: input.startedBy,
    payload: { grounds: input.grounds, details: input.details, spotCheck: input.spotCheck },
    notify: [{ recipientOrgId: input.branch.id, kind: 'task', message: `${LABEL.verification}: a case was opened (${input.grounds})` }],
  });
  recorded = true;

  while (steps.pending) {
    const current = steps.step;
    const w = steps.watch;
    if (current === 'probation') {
      // Probation is a timer (6 or 12 months); at its end the branch reviews.
      await condition(() => steps.step !== current || !steps.pending, w.deadline - Date.now());
      if (steps.step === current && steps.pending) {
        const patch = enter('probation-review');
        await record('discipline.probation-ended', { patch, payload: {}, notify: task(input.branch) });
      }
      continue;
    }
    await w.run(() => !steps.pending || steps.step !== current);
  }
  await condition(allHandlersFinished);
  return { processId, status: steps.status, sanction: meeting?.sanction ?? null };
}
