// The transfer of the organizational relation (R9-R13): release by the sending branch, arrival at the receiving
// organization, placement into a branch; across provinces (R10) with the other province's system as a peer.
// Every waiting step has its own deadline, reminders and escalation (the shared DeadlineWatch).
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  uuid4,
} from '@temporalio/workflow';
import type { TransferActivities } from '../activities/transfer';
import type { ProcessPatch } from '../activities/processes';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import type { PeerMessage, PeerMessageType, TransferInput, TransferStep } from '../domain/transfers';
import type { StepPolicy } from '../domain/durations';
import type { OrgRef } from '../domain/orgs';
import { SA } from '../domain/search-attributes';
import { ProcessSteps } from './steps';
import { recordedUpdate, type ProcessDefinition } from './definition';
import { transferWorkflowId } from '../domain/workflow-ids';
import {
  ACTIVITY_OPTIONS,
  LOCAL_ACTIVITY_OPTIONS,
  applicationFailureIn,
  decideUpdate,
  decisionShapeProblem,
  extensionProblem,
  orgSearchAttributes,
  refuse,
  stateQuery,
} from './common';
import { checkIn } from './check-in';

/** Early return: the API's start answers once the request is recorded (or refused). */
export const transferRecordedUpdate = defineUpdate<{ processId: string; step: TransferStep; deadline: string }>('transfer-recorded');
/** An organization was created or changed (R12: the awaited freshman branch; R13: its phone). */
export const orgChangedSignal = defineSignal<[{ orgId: string }]>('org-changed');
/** A message from the other province's system (R10). */
export const peerSignal = defineSignal<[PeerMessage]>('peer');

const remote = proxyActivities<TransferActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<TransferActivities>(LOCAL_ACTIVITY_OPTIONS);
// Calls to the other province are retried while it is down; its 4xx refusals are final.
const peerCalls = proxyActivities<TransferActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['PeerRefused'] },
});

/** What a transfer knows while it runs: its input, and the receiving organization once it is known (R12). */
export interface TransferContext {
  input: TransferInput;
  to: OrgRef | null;
}

const ENDS = { reject: { rule: 'R9', reason: true }, withdraw: { rule: 'R9' }, extend: { rule: 'R9' } } as const;

/** R9-R13: the steps of a transfer; the inbound check-in (R10) is decided on its own process. */
export const transferProcess: ProcessDefinition<TransferStep, TransferContext> = {
  kind: 'transfer',
  noun: 'transfer',
  rule: 'R9',
  workflowId: transferWorkflowId,
  legacyRecordedUpdate: 'transfer-recorded',
  first: (c) => (c.input.direction === 'inbound' ? 'arrival-check-in' : 'release'),
  steps: {
    release: {
      label: 'Transfer: release by the sending branch',
      acting: (c) => c.input.from!,
      timing: (c) => c.input.timing.release,
      decisions: { approve: { rule: 'R9' }, ...ENDS },
    },
    'awaiting-branch': {
      label: 'Transfer: waiting for the destination branch to be created',
      acting: (c) => c.input.awaitOrg!.parent,
      timing: (c) => c.input.timing.awaitBranch,
      decisions: { ...ENDS },
    },
    arrival: {
      label: 'Transfer: arrival at the receiving organization',
      acting: (c) => c.to!,
      timing: (c) => c.input.timing.arrival,
      decisions: { approve: { rule: 'R9' }, ...ENDS },
    },
    placement: {
      label: 'Transfer: placement into a branch',
      acting: (c) => c.to!,
      timing: (c) => c.input.timing.placement,
      decisions: { place: { rule: 'R9' }, ...ENDS },
    },
    'peer-arrival': {
      label: "Transfer: the other province's arrival confirmation",
      acting: (c) => c.input.from!,
      timing: (c) => c.input.timing.peer,
      decisions: { withdraw: { rule: 'R9' }, extend: { rule: 'R9' } },
    },
    'arrival-check-in': {
      label: 'Transfer: check-in review at the receiving branch',
      acting: (c) => c.to!,
      // The inbound check-in's deadline is the child's own (R3); the transfer only shows it.
      timing: (c) => ({ ...c.input.checkInTiming, onTimeout: 'remind' }),
      decisions: {},
    },
    'peer-release': {
      label: "Transfer: the other province's release confirmation",
      acting: (c) => c.to!,
      timing: (c) => c.input.timing.peer,
      decisions: { extend: { rule: 'R9' } },
    },
  },
};

/** Which decisions each step takes (R9); the inbound check-in is decided on its own process. */
const ACTIONS: Record<TransferStep, DecisionCommand['action'][]> = {
  release: ['approve', 'reject', 'withdraw', 'extend'],
  'awaiting-branch': ['reject', 'withdraw', 'extend'],
  arrival: ['approve', 'reject', 'withdraw', 'extend'],
  placement: ['place', 'reject', 'withdraw', 'extend'],
  'peer-arrival': ['withdraw', 'extend'],
  'arrival-check-in': [],
  'peer-release': ['extend'],
};

const LABEL: Record<TransferStep, string> = {
  release: 'Transfer: release by the sending branch',
  'awaiting-branch': 'Transfer: waiting for the destination branch to be created',
  arrival: 'Transfer: arrival at the receiving organization',
  placement: 'Transfer: placement into a branch',
  'peer-arrival': "Transfer: the other province's arrival confirmation",
  'arrival-check-in': 'Transfer: check-in review at the receiving branch',
  'peer-release': "Transfer: the other province's release confirmation",
};

export async function transfer(input: TransferInput): Promise<{ processId: string; status: ProcessStatus }> {
  const { processId, memberId } = input;
  let to = input.to;
  let timedOut: 'approve' | 'lapse' | undefined;
  let recorded = false;
  let refusal: ApplicationFailure | undefined;
  const orgChanges: string[] = [];
  const peer: { released: boolean; arrived?: string; rejected?: string; seen: Set<PeerMessageType> } = { released: false, seen: new Set() };
  /** Messages to the other province, sent in order by one loop, retried while it is down (R10). */
  const outbox: { type: 'announce' | PeerMessageType; reason?: string; branchId?: string }[] = [];
  let sequence = 0;

  const ready = async () => {
    await condition(() => recorded || refusal !== undefined);
    if (refusal) throw refusal;
  };

  function policyOf(s: TransferStep): StepPolicy {
    const t = input.timing;
    if (s === 'release') return t.release;
    if (s === 'arrival') return t.arrival;
    if (s === 'placement') return t.placement;
    if (s === 'awaiting-branch') return t.awaitBranch;
    // The inbound check-in's deadline is the child's own (R3); the transfer only shows it.
    if (s === 'arrival-check-in') return { ...input.checkInTiming, onTimeout: 'remind' };
    return t.peer;
  }

  const steps = new ProcessSteps<TransferStep>({
    processId,
    memberId,
    first: input.direction === 'inbound' ? 'arrival-check-in' : 'release',
    label: LABEL,
    actingOrg: (s) => (s === 'release' || s === 'peer-arrival' ? input.from! : s === 'awaiting-branch' ? input.awaitOrg!.parent : to!),
    timing: policyOf,
    onTimeout: (effect) => {
      timedOut = effect;
    },
  });

  function enter(next: TransferStep): ProcessPatch {
    timedOut = undefined;
    return steps.enter(next);
  }

  async function record(
    type: string,
    e: { orgId?: string; actorId?: string; reason?: string; patch?: ProcessPatch; payload?: Record<string, unknown>; complete?: OrgRef; notifyOrg?: OrgRef },
  ) {
    sequence += 1;
    const key = `${processId}:${sequence}:${type}`;
    const orgId = e.orgId ?? steps.acting.id;
    await ready();
    await local.recordTransferEvent({
      key,
      processId,
      memberId,
      orgId,
      type,
      actorId: e.actorId ?? null,
      payload: { ...(e.reason ? { reason: e.reason } : {}), ...e.payload },
      patch: e.patch,
      transfer: {
        status: steps.pending ? undefined : steps.status,
        toOrgId: to?.id,
        completeAt: e.complete,
        direction: input.direction,
      },
      notifyOrg: e.notifyOrg ? { id: e.notifyOrg.id, message: `${LABEL[steps.step]}: your decision is needed` } : undefined,
      notifyMember: !steps.pending ? `Your transfer was ${steps.status}${e.reason ? `: ${e.reason}` : ''}.` : undefined,
    });
  }

  /** R9: the member now belongs to the receiving branch (or, outbound, to the other province). */
  async function complete(branch: OrgRef | null, actorId: string | undefined, type: string) {
    if (branch) to = branch;
    const patch = steps.close('approved');
    await record(type, { actorId, patch, complete: branch ?? undefined, payload: branch ? { branchId: branch.id } : { province: input.peer?.province } });
  }

  async function decide(cmd: DecisionCommand): Promise<void> {
    const at = steps.step;
    const orgId = steps.acting.id;
    if (cmd.action === 'reject' || cmd.action === 'withdraw') {
      const patch = steps.close(cmd.action === 'reject' ? 'rejected' : 'withdrawn');
      if (input.direction !== 'internal') outbox.push({ type: 'rejected', reason: cmd.reason ?? `the transfer was ${steps.status}` });
      await record(`transfer.${steps.status}`, { actorId: cmd.actorId, reason: cmd.reason, patch, payload: { step: at } });
      return;
    }
    if (at === 'release') {
      const next: TransferStep = input.direction === 'outbound' ? 'peer-arrival' : to ? 'arrival' : 'awaiting-branch';
      const patch = enter(next);
      if (input.direction === 'outbound') outbox.push({ type: 'release-confirmed' });
      await record('transfer.release-approved', { orgId, actorId: cmd.actorId, reason: cmd.reason, patch, notifyOrg: next === 'arrival' ? to! : undefined });
      return;
    }
    if (at === 'arrival') {
      if (to!.kind === 'branch') return complete(to, cmd.actorId, 'transfer.completed');
      const patch = enter('placement');
      await record('transfer.arrival-approved', { orgId, actorId: cmd.actorId, reason: cmd.reason, patch, notifyOrg: to! });
      return;
    }
    if (at === 'placement') {
      const b = cmd.branch!;
      return complete({ id: b.id, path: b.path, parentId: b.parentId, kind: 'branch' }, cmd.actorId, 'transfer.completed');
    }
  }

  setHandler(stateQuery, () => steps.state());

  setHandler(
    decideUpdate,
    steps.decisionHandler(decide, ready),
    {
      validator: (cmd) => {
        const shape = decisionShapeProblem(cmd);
        if (shape) refuse('invalid', `bad decision: ${shape}`);
        steps.refuseUnlessAt(cmd, 'transfer', 'R9');
        const step = steps.step;
        if (step === 'arrival-check-in') refuse('rule', "decide the receiving branch's check-in review of this member (R10)", 'R10');
        if (!ACTIONS[step].includes(cmd.action)) refuse('rule', `"${cmd.action}" is not possible at the step "${step}"`, 'R9');
        if (cmd.action === 'reject' && !cmd.reason) refuse('rule', 'a rejection needs a reason', 'R9');
        if (cmd.action === 'extend') extensionProblem(cmd, steps.watch);
        if (cmd.action === 'place') {
          const b = cmd.branch;
          if (!b || b.kind !== 'branch') refuse('rule', 'the member is placed into a branch', 'R9');
          if (!b.path.startsWith(to!.path)) refuse('rule', `the branch must belong to ${to!.id}`, 'R9');
        }
      },
    },
  );

  const answerRecorded = async () => {
    await ready();
    return { processId, step: steps.step, deadline: new Date(steps.watch.deadline).toISOString() };
  };
  setHandler(recordedUpdate, answerRecorded);
  setHandler(transferRecordedUpdate, answerRecorded);

  setHandler(orgChangedSignal, ({ orgId }) => {
    if (orgId === input.awaitOrg?.id) orgChanges.push(orgId);
  });

  setHandler(peerSignal, (m) => {
    // The other province may send a message twice: only its first copy has an effect.
    if (peer.seen.has(m.type)) return;
    peer.seen.add(m.type);
    if (m.type === 'release-confirmed') peer.released = true;
    if (m.type === 'arrival-confirmed') peer.arrived = m.branchId ?? '';
    if (m.type === 'rejected') peer.rejected = m.reason ?? 'rejected by the other province';
  });

  const pump = (async () => {
    if (input.direction === 'internal') return;
    for (;;) {
      await condition(() => outbox.length > 0 || !steps.pending);
      if (outbox.length === 0) return;
      const m = outbox[0]!;
      try {
        await peerCalls.sendToPeer({ province: input.peer!.province, transferId: input.peer!.transferId, memberId, message: m.type, reason: m.reason, toBranchId: input.peer!.branchId, branchId: m.branchId });
      } catch (e) {
        // The other province refused the message for good (e.g. its branch cannot receive): the transfer ends.
        const failure = applicationFailureIn(e);
        if (failure?.type !== 'PeerRefused') throw e;
        if (steps.pending && peer.rejected === undefined) peer.rejected = `the other province refused: ${failure.message}`;
      }
      outbox.shift();
    }
  })();

  try {
    const { step, acting, watch } = steps;
    await local.recordTransferRequested({ input, patch: { step, org: { id: acting.id, path: acting.path }, deadline: new Date(watch.deadline).toISOString() } });
  } catch (e) {
    const failure = applicationFailureIn(e);
    if (failure?.type !== 'conflict') throw e;
    refusal = failure;
    steps.status = 'rejected';
    await condition(allHandlersFinished);
    return { processId, status: steps.status };
  }
  recorded = true;
  if (input.direction === 'outbound') outbox.push({ type: 'announce' });

  while (steps.pending) {
    const current = steps.step;
    if (current === 'arrival-check-in') {
      await inboundCheckIn();
      continue;
    }
    const w = steps.watch;
    const external = () =>
      peer.rejected !== undefined ||
      (current === 'awaiting-branch' && orgChanges.length > 0) ||
      (current === 'peer-arrival' && peer.arrived !== undefined) ||
      (current === 'peer-release' && peer.released);
    await w.run(() => !steps.pending || steps.step !== current || timedOut !== undefined || external());
    if (!steps.pending || steps.step !== current) continue;
    if (peer.rejected !== undefined) {
      const patch = steps.close('rejected');
      await record('transfer.rejected', { actorId: `peer:${input.peer!.province}`, reason: peer.rejected, patch, payload: { step: current } });
    } else if (timedOut === 'lapse') {
      const patch = steps.close('lapsed');
      if (input.direction !== 'internal') outbox.push({ type: 'rejected', reason: `the step "${current}" lapsed at its deadline` });
      await record('transfer.lapsed', { actorId: 'system:timeout', reason: `no decision by the deadline of "${current}" (R9)`, patch, payload: { step: current } });
    } else if (timedOut === 'approve') {
      await decide({ action: 'approve', actorId: 'system:timeout', reason: `approved automatically at the deadline of "${current}" (R9)` });
    } else if (current === 'awaiting-branch') {
      orgChanges.length = 0;
      const org = await remote.resolveOrg({ orgId: input.awaitOrg!.id, processId, reportMissingPhone: true });
      // R13: a branch without a contact phone cannot receive; it is reported and the transfer keeps waiting.
      if (org?.ref && org.hasContactPhone) {
        to = org.ref;
        const patch = enter('arrival');
        await record('transfer.branch-created', { patch, payload: { branchId: org.ref.id }, notifyOrg: org.ref });
      }
    } else if (current === 'peer-arrival') {
      await complete(null, `peer:${input.peer!.province}`, 'transfer.completed');
    } else if (current === 'peer-release') {
      outbox.push({ type: 'arrival-confirmed', branchId: to!.id });
      await complete(to, `peer:${input.peer!.province}`, 'transfer.completed');
    }
  }

  /** R10 inbound: the receiving branch reviews the member's check-in (10 days, R3) as a child workflow. */
  async function inboundCheckIn(): Promise<void> {
    const branch = to!;
    const scope = new CancellationScope();
    const checkInProcessId = uuid4();
    const child = scope.run(async () => {
      const handle = await startChild(checkIn, {
        workflowId: `check-in-${memberId}`,
        args: [
          {
            processId: checkInProcessId,
            memberId,
            branchId: branch.id,
            branchPath: branch.path,
            parentOrgId: branch.parentId,
            submittedBy: `peer:${input.peer!.province}`,
            linkActorId: null,
            profile: input.profile!,
            timing: input.checkInTiming,
          },
        ],
        parentClosePolicy: 'REQUEST_CANCEL',
        typedSearchAttributes: [
          { key: SA.kind, value: 'check-in' },
          ...orgSearchAttributes(branch),
          { key: SA.status, value: 'pending' },
          { key: SA.deadline, value: new Date(Date.now() + input.checkInTiming.deadlineMs) },
          { key: SA.overdue, value: false },
        ],
      });
      return handle.result();
    });
    let result: { status: ProcessStatus } | undefined;
    let failed: unknown;
    void child.then(
      (r) => (result = r),
      (e: unknown) => (failed = e),
    );
    await condition(() => result !== undefined || failed !== undefined || peer.rejected !== undefined);
    if (result === undefined && failed === undefined) {
      // The other province called it off: the check-in is withdrawn, and the transfer ends.
      scope.cancel();
      await condition(() => result !== undefined || failed !== undefined);
      const patch = steps.close('rejected');
      await record('transfer.rejected', { actorId: `peer:${input.peer!.province}`, reason: peer.rejected, patch, payload: { step: 'arrival-check-in' } });
      return;
    }
    if (result?.status === 'approved') {
      await record('transfer.check-in-approved', { payload: { checkInProcessId } });
      if (peer.released) {
        outbox.push({ type: 'arrival-confirmed', branchId: branch.id });
        await complete(branch, `peer:${input.peer!.province}`, 'transfer.completed');
      } else {
        const patch = enter('peer-release');
        await record('transfer.awaiting-release', { patch });
      }
      return;
    }
    const why = result ? `the check-in review ended ${result.status}` : 'the check-in review could not start (one is already open for this member)';
    const patch = steps.close('rejected');
    outbox.push({ type: 'rejected', reason: why });
    await record('transfer.rejected', { actorId: 'system', reason: why, patch, payload: { step: 'arrival-check-in', checkInProcessId } });
  }

  // Nothing accepted is lost: every message to the other province is delivered before the workflow ends.
  await pump;
  await condition(allHandlersFinished);
  return { processId, status: steps.status };
}
