// The transfer of the organizational relation (R9-R13): release by the sending branch, arrival at the receiving
// organization, placement into a branch; across provinces (R10) with the other province's system as a peer.
// The declared steps (processes/transfer.ts) on the process skeleton (workflows/process.ts); what is particular
// is below: the wait for a freshman branch (R12), the timeout effects (R9), the messages to and from the other
// province, and the inbound check-in, a child process (R10).
import { CancellationScope, condition, proxyActivities, proxyLocalActivities, setHandler, startChild, uuid4 } from '@temporalio/workflow';
import type { TransferActivities } from '../activities/transfer';
import type { ProcessActivities, ProcessPatch } from '../activities/processes';
import type { DecisionCommand, ProcessStatus } from '../domain/processes';
import type { PeerMessage, PeerMessageType, TransferInput, TransferStep } from '../domain/transfers';
import type { OrgRef } from '../domain/orgs';
import { startAttributes } from '../domain/search-attributes';
import { checkInProcess } from '../processes/check-in';
import { orgChangedSignal, peerSignal } from '../processes/messages';
import { transferProcess, type TransferContext } from '../processes/transfer';
import { ProcessRun, type ProcessEvent, type ProcessResult } from './process';
import { ACTIVITY_OPTIONS, LOCAL_ACTIVITY_OPTIONS } from './options';
import { applicationFailureIn, refuse } from './refusals';
import { checkIn } from './check-in';
import { deadlineOf } from './steps';

const remote = proxyActivities<TransferActivities>(ACTIVITY_OPTIONS);
const local = proxyLocalActivities<TransferActivities & ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);
// Calls to the other province are retried while it is down; its 4xx refusals are final.
const peerCalls = proxyActivities<TransferActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: ['PeerRefused'] },
});

type Outgoing = { type: 'announce' | PeerMessageType; reason?: string; branchId?: string };

/** One transfer's run: the skeleton's process, and what a transfer adds to it. */
class TransferRun extends ProcessRun<TransferStep, TransferContext> {
  readonly c: TransferContext;
  /** R9: what the current step's timeout decided ("approve", "lapse"), told by its deadline watch. */
  readonly #timeout: { effect?: 'approve' | 'lapse' };
  readonly orgChanges: string[] = [];
  readonly peer: { released: boolean; arrived?: string; rejected?: string; seen: Set<PeerMessageType> } = { released: false, seen: new Set() };
  /** Messages to the other province, sent in order by one loop, retried while it is down (R10). */
  readonly outbox: Outgoing[] = [];

  constructor(readonly input: TransferInput) {
    const c: TransferContext = { input, to: input.to };
    const timeout: { effect?: 'approve' | 'lapse' } = {};
    super(transferProcess, c, { processId: input.processId, memberId: input.memberId, onTimeout: (effect) => (timeout.effect = effect) });
    this.c = c;
    this.#timeout = timeout;
  }

  get timedOut(): 'approve' | 'lapse' | undefined {
    return this.#timeout.effect;
  }

  get peerActor(): string {
    return `peer:${this.input.peer?.province}`;
  }

  enter(next: TransferStep): ProcessPatch {
    this.#timeout.effect = undefined;
    return this.p.enter(next);
  }

  /** Every event of a transfer keeps its destination on its row (the transfer projection). */
  record(type: string, e: ProcessEvent & { reason?: string; complete?: OrgRef; notifyOrg?: OrgRef }): Promise<void> {
    const { reason, complete, notifyOrg, ...rest } = e;
    const p = this.p;
    return p.record(type, {
      ...rest,
      actorId: e.actorId ?? null,
      payload: { ...(reason ? { reason } : {}), ...e.payload },
      detail: { toOrgId: this.c.to?.id, completeAt: complete, direction: this.input.direction },
      notify: notifyOrg ? p.task(notifyOrg) : undefined,
      notifyMember: !p.pending ? `Your transfer was ${p.status}${reason ? `: ${reason}` : ''}.` : undefined,
    });
  }

  /** R9: the member now belongs to the receiving branch (or, outbound, to the other province). */
  async complete(branch: OrgRef | null, actorId: string | undefined, type: string): Promise<void> {
    if (branch) this.c.to = branch;
    const patch = this.p.close('approved');
    await this.record(type, {
      actorId,
      patch,
      complete: branch ?? undefined,
      payload: branch ? { branchId: branch.id } : { province: this.input.peer?.province },
    });
  }

  async decide(cmd: DecisionCommand): Promise<void> {
    const { p, input } = this;
    const at = p.step;
    const orgId = p.acting.id;
    const to = this.c.to;
    if (cmd.action === 'reject' || cmd.action === 'withdraw') {
      const patch = p.close(cmd.action === 'reject' ? 'rejected' : 'withdrawn');
      if (input.direction !== 'internal') this.outbox.push({ type: 'rejected', reason: cmd.reason ?? `the transfer was ${p.status}` });
      return this.record(`transfer.${p.status}`, { actorId: cmd.actorId, reason: cmd.reason, patch, payload: { step: at } });
    }
    if (at === 'release') {
      const next: TransferStep = input.direction === 'outbound' ? 'peer-arrival' : to ? 'arrival' : 'awaiting-branch';
      const patch = this.enter(next);
      if (input.direction === 'outbound') this.outbox.push({ type: 'release-confirmed' });
      return this.record('transfer.release-approved', {
        orgId,
        actorId: cmd.actorId,
        reason: cmd.reason,
        patch,
        notifyOrg: next === 'arrival' ? to! : undefined,
      });
    }
    if (at === 'arrival') {
      if (to!.kind === 'branch') return this.complete(to, cmd.actorId, 'transfer.completed');
      return this.record('transfer.arrival-approved', { orgId, actorId: cmd.actorId, reason: cmd.reason, patch: this.enter('placement'), notifyOrg: to! });
    }
    if (at === 'placement') {
      const b = cmd.branch!;
      return this.complete({ id: b.id, path: b.path, parentId: b.parentId, kind: 'branch' }, cmd.actorId, 'transfer.completed');
    }
  }

  /** R9: the member is placed into a branch of the receiving organization. */
  override validate(cmd: DecisionCommand): void {
    if (cmd.action !== 'place') return;
    const b = cmd.branch;
    const to = this.c.to!;
    if (!b || b.kind !== 'branch') refuse('rule', 'the member is placed into a branch', 'R9');
    if (!b.path.startsWith(to.path)) refuse('rule', `the branch must belong to ${to.id}`, 'R9');
  }

  /** What ends a step's wait besides a decision: the other province, the awaited branch, a deciding timeout. */
  wake(step: TransferStep): boolean {
    const peer = this.peer;
    return (
      this.timedOut !== undefined ||
      peer.rejected !== undefined ||
      (step === 'awaiting-branch' && this.orgChanges.length > 0) ||
      (step === 'peer-arrival' && peer.arrived !== undefined) ||
      (step === 'peer-release' && peer.released)
    );
  }

  async woken(step: TransferStep): Promise<void> {
    const { p, input, peer } = this;
    if (peer.rejected !== undefined) {
      const patch = p.close('rejected');
      return this.record('transfer.rejected', { actorId: this.peerActor, reason: peer.rejected, patch, payload: { step } });
    }
    if (this.timedOut === 'lapse') {
      const patch = p.close('lapsed');
      if (input.direction !== 'internal') this.outbox.push({ type: 'rejected', reason: `the step "${step}" lapsed at its deadline` });
      return this.record('transfer.lapsed', { actorId: 'system:timeout', reason: `no decision by the deadline of "${step}" (R9)`, patch, payload: { step } });
    }
    if (this.timedOut === 'approve')
      return this.decide({ action: 'approve', actorId: 'system:timeout', reason: `approved automatically at the deadline of "${step}" (R9)` });
    if (step === 'awaiting-branch') return this.branchCreated();
    if (step === 'peer-arrival') return this.complete(null, this.peerActor, 'transfer.completed');
    if (step === 'peer-release') {
      this.outbox.push({ type: 'arrival-confirmed', branchId: this.c.to!.id });
      return this.complete(this.c.to, this.peerActor, 'transfer.completed');
    }
  }

  /** R12: the awaited branch exists; R13: a branch without a contact phone cannot receive (reported; still waiting). */
  async branchCreated(): Promise<void> {
    this.orgChanges.length = 0;
    const org = await remote.resolveOrg({ orgId: this.input.awaitOrg!.id, processId: this.input.processId, reportMissingPhone: true });
    if (org?.ref && org.hasContactPhone) {
      this.c.to = org.ref;
      await this.record('transfer.branch-created', { patch: this.enter('arrival'), payload: { branchId: org.ref.id }, notifyOrg: org.ref });
    }
  }

  /** The awaited branch's creation (R12) and the other province's messages (R10). */
  protected override setHandlers(): void {
    setHandler(orgChangedSignal, ({ orgId }) => {
      if (orgId === this.input.awaitOrg?.id) this.orgChanges.push(orgId);
    });
    setHandler(peerSignal, (m) => this.received(m));
  }

  protected async execute(): Promise<ProcessResult> {
    const { p, input } = this;
    const pump = this.pump();
    if (!(await p.open((patch) => local.recordTransferRequested({ input, patch }), ['conflict']))) return p.finish();
    if (input.direction === 'outbound') this.outbox.push({ type: 'announce' });
    await p.run({ wake: (step) => this.wake(step), woken: (step) => this.woken(step), at: { 'arrival-check-in': () => this.inboundCheckIn() } });
    // Nothing accepted is lost: every message to the other province is delivered before the workflow ends.
    await pump;
    return p.finish();
  }

  /** R10: messages to the other province, in order; a message it refuses for good ends the transfer. */
  async pump(): Promise<void> {
    const { input, outbox, p } = this;
    if (input.direction === 'internal') return;
    for (;;) {
      await condition(() => outbox.length > 0 || !p.pending);
      if (outbox.length === 0) return;
      const m = outbox[0]!;
      try {
        await peerCalls.sendToPeer({
          province: input.peer!.province,
          transferId: input.peer!.transferId,
          memberId: input.memberId,
          message: m.type,
          reason: m.reason,
          toBranchId: input.peer!.branchId,
          branchId: m.branchId,
        });
      } catch (e) {
        const failure = applicationFailureIn(e);
        if (failure?.type !== 'PeerRefused') throw e;
        if (p.pending && this.peer.rejected === undefined) this.peer.rejected = `the other province refused: ${failure.message}`;
      }
      outbox.shift();
    }
  }

  /** A message from the other province; it may send one twice: only its first copy has an effect. */
  received(m: PeerMessage): void {
    const peer = this.peer;
    if (peer.seen.has(m.type)) return;
    peer.seen.add(m.type);
    if (m.type === 'release-confirmed') peer.released = true;
    if (m.type === 'arrival-confirmed') peer.arrived = m.branchId ?? '';
    if (m.type === 'rejected') peer.rejected = m.reason ?? 'rejected by the other province';
  }

  /** R10 inbound: the receiving branch reviews the member's check-in (10 days, R3) as a child process. */
  async inboundCheckIn(): Promise<void> {
    const { input, peer } = this;
    const branch = this.c.to!;
    const scope = new CancellationScope();
    const checkInProcessId = uuid4();
    const child = scope.run(async () => {
      const handle = await startChild(checkIn, {
        workflowId: checkInProcess.workflowId(input.memberId),
        args: [
          {
            processId: checkInProcessId,
            memberId: input.memberId,
            branchId: branch.id,
            branchPath: branch.path,
            parentOrgId: branch.parentId,
            submittedBy: this.peerActor,
            linkActorId: null,
            profile: input.profile!,
            timing: input.checkInTiming,
          },
        ],
        parentClosePolicy: 'REQUEST_CANCEL',
        typedSearchAttributes: startAttributes('check-in', branch, new Date(deadlineOf(input.checkInTiming))),
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
      const patch = this.p.close('rejected');
      return this.record('transfer.rejected', { actorId: this.peerActor, reason: peer.rejected, patch, payload: { step: 'arrival-check-in' } });
    }
    if (result?.status === 'approved') return this.checkInApproved(branch, checkInProcessId);
    const why = result ? `the check-in review ended ${result.status}` : 'the check-in review could not start (one is already open for this member)';
    const patch = this.p.close('rejected');
    this.outbox.push({ type: 'rejected', reason: why });
    await this.record('transfer.rejected', { actorId: 'system', reason: why, patch, payload: { step: 'arrival-check-in', checkInProcessId } });
  }

  async checkInApproved(branch: OrgRef, checkInProcessId: string): Promise<void> {
    await this.record('transfer.check-in-approved', { payload: { checkInProcessId } });
    if (this.peer.released) {
      this.outbox.push({ type: 'arrival-confirmed', branchId: branch.id });
      return this.complete(branch, this.peerActor, 'transfer.completed');
    }
    await this.record('transfer.awaiting-release', { patch: this.enter('peer-release') });
  }
}

export async function transfer(input: TransferInput): Promise<ProcessResult> {
  return new TransferRun(input).run();
}
