// Activities every process shares: append an event with its read-model change and notification.
import { activityInfo } from '@temporalio/activity';
import { sql } from 'kysely';
import { recordOnce, type Db, type Tx } from '../db';
import type { OrgRef } from '../domain/orgs';
import type { ProcessKind, ProcessStatus } from '../domain/processes';
import { workerMetrics } from '../runtime/metrics';
import { nearestCommitteeAbove } from '../db/queries/organizations';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { transitionMember, type MemberTransitionInput, type TransitionResult } from '../db/member-state';
import { isLeft, mayBeOpenTogether } from '../domain/member-transitions';
import { ApplicationFailure } from '@temporalio/common';
import { memberLeftSignal, type MemberLeft } from '../processes/messages';
import { tellSettledTasks } from '../temporal/campaigns';

export interface ProcessPatch {
  status?: string;
  step?: string;
  /** The organization that must act from now on (moves the process in the supervisors' views). */
  org?: { id: string; path: string };
  deadline?: string | null;
  overdue?: boolean;
  closed?: boolean;
}

export interface NotificationInput {
  recipientOrgId?: string | null;
  recipientActorId?: string | null;
  kind: 'reminder' | 'escalation' | 'decision' | 'task' | 'data-problem';
  message: string;
}

export interface ProcessEventInput {
  /** Deterministic, from the workflow: the same step always writes under the same key. */
  key: string;
  processId: string;
  /** The process's kind: its own projection (below) applies the event to its own table and to the member. */
  kind?: ProcessKind;
  /** Set on the event that closes the process: its outcome. */
  outcome?: ProcessStatus;
  /** What a process learnt that its own table keeps (a transfer's destination and, at the end, the branch). */
  detail?: { toOrgId?: string; completeAt?: OrgRef; direction?: 'internal' | 'outbound' | 'inbound'; branchId?: string };
  memberId?: string | null;
  orgId?: string | null;
  type: string;
  actorId?: string | null;
  payload?: Record<string, unknown>;
  patch?: ProcessPatch;
  notify?: NotificationInput[];
  /** A message to the member's own actors (a decision about them). */
  notifyMember?: string;
  /** The effect on the member record in runs recorded before R25's table (R18 sanctions); new events name `effect`. */
  member?: { status?: 'active' | 'probation' | 'expelled' | 'removed' | 'deleted'; sanction?: string | null; deleted?: boolean };
  /** R25: the effect on the member, applied through the transition table (db/member-state.ts). */
  effect?: Omit<MemberTransitionInput, 'memberId' | 'processId' | 'now'>;
}

/**
 * A process's own read-model change for an event, in the event's transaction (its table, and what closing it
 * does to the member): the one event append below calls the projection of the event's kind.
 */
export type Projection = (tx: Tx, e: ProcessEventInput, now: Date) => Promise<void>;

export interface OpenProcessInput {
  key: string;
  /** When the process started, if not now (a check-in keeps the moment it was submitted). */
  startedAt?: string;
  processId: string;
  kind: string;
  memberId: string | null;
  org: { id: string; path: string };
  step: string;
  deadline: string | null;
  type: string;
  actorId: string | null;
  payload?: Record<string, unknown>;
  notify?: NotificationInput[];
}

export async function applyProcessPatch(tx: Tx, processId: string, patch: ProcessPatch, now: Date): Promise<void> {
  const { org, deadline, closed, ...rest } = patch;
  await tx
    .updateTable('processes')
    .set({
      ...rest,
      ...(org ? { org_id: org.id, org_path: org.path } : {}),
      ...(deadline !== undefined ? { deadline } : {}),
      ...(rest.step ? { step_since: now } : {}),
      ...(closed ? { closed_at: now, overdue: false } : {}),
      updated_at: now,
    })
    .where('id', '=', processId)
    // A closed process never changes again (a late reminder cannot reopen it).
    .where('closed_at', 'is', null)
    .execute();
}

export async function insertNotifications(tx: Tx, key: string, processId: string | null, notes: NotificationInput[]): Promise<void> {
  if (notes.length === 0) return;
  await tx
    .insertInto('notifications')
    .values(
      notes.map((n, i) => ({
        idempotency_key: `${key}#${i}`,
        recipient_org_id: n.recipientOrgId ?? null,
        recipient_actor_id: n.recipientActorId ?? null,
        kind: n.kind,
        process_id: processId,
        message: n.message,
      })),
    )
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

/** The read-model row of a process that starts now, at its first step (a retry finds it and changes nothing). */
export async function insertProcessRow(
  tx: Tx,
  r: { id: string; kind: string; memberId: string | null; org: { id: string; path: string }; step: string; deadline: string | null; startedAt?: Date | string },
): Promise<void> {
  const now = new Date();
  const info = activityInfo().workflowExecution;
  await tx
    .insertInto('processes')
    .values({
      id: r.id,
      kind: r.kind,
      workflow_id: info?.workflowId ?? r.id,
      run_id: info?.runId ?? null,
      member_id: r.memberId,
      org_id: r.org.id,
      org_path: r.org.path,
      status: 'pending',
      step: r.step,
      step_since: r.startedAt ?? now,
      deadline: r.deadline,
      overdue: false,
      started_at: r.startedAt ?? now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** One notification per actor of the member, in the same statement that finds them. */
export async function notifyMemberActors(tx: Tx, key: string, processId: string, memberId: string, message: string): Promise<void> {
  await tx
    .insertInto('notifications')
    .columns(['idempotency_key', 'recipient_actor_id', 'kind', 'process_id', 'message'])
    .expression((eb) =>
      eb
        .selectFrom('actors')
        .select([
          sql<string>`${key} || '#' || actors.id`.as('idempotency_key'),
          'actors.id',
          sql<string>`'decision'`.as('kind'),
          sql<string>`${processId}::uuid`.as('process_id'),
          sql<string>`${message}`.as('message'),
        ])
        .where('actors.member_id', '=', memberId),
    )
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

/**
 * R3: an overdue step escalates to the acting organization's nearest committee above (督办), not merely to its
 * parent, which may be a general branch. The workflows name the parent (`payload.escalatedTo`, and an
 * escalation notice to it); the recipient is resolved here, where the escalation is written, so recorded
 * workflow histories are unchanged. With no committee above, the workflow's recipient stands.
 */
async function escalateToCommittee(db: Db, input: ProcessEventInput): Promise<ProcessEventInput> {
  if (input.type !== 'deadline.overdue' && input.type !== 'deadline.escalated') return input;
  const named = input.payload?.escalatedTo;
  if (typeof named !== 'string' || !input.orgId) return input;
  const committee = await nearestCommitteeAbove(db, input.orgId);
  if (committee === null || committee === named) return input;
  return {
    ...input,
    payload: { ...input.payload, escalatedTo: committee },
    notify: input.notify?.map((n) => (n.kind === 'escalation' && n.recipientOrgId === named ? { ...n, recipientOrgId: committee } : n)),
  };
}

/**
 * R25: a process may open beside the member's open ones only as the table says (domain/member-transitions.ts). Checked
 * under the member's row lock (the API checked the read model first), so two starts at once cannot both pass.
 */
async function refuseUnlessMayOpen(tx: Tx, memberId: string, kind: string, processId: string): Promise<void> {
  const member = await tx.selectFrom('members').select('id').where('id', '=', memberId).forUpdate().executeTakeFirst();
  if (!member) return;
  const open = await tx
    .selectFrom('processes')
    .select(['id', 'kind'])
    .where('member_id', '=', memberId)
    .where('closed_at', 'is', null)
    .where('id', '<>', processId)
    .execute();
  const blocking = open.find((o) => !mayBeOpenTogether(kind, o.kind));
  if (blocking) {
    const message = `a ${blocking.kind} process is open for this member: a ${kind} cannot open beside it (R25)`;
    throw ApplicationFailure.create({ type: 'conflict', message, details: [{ kind: 'conflict', rule: 'R25', processId: blocking.id }], nonRetryable: true });
  }
}

/**
 * A process's first write, once: its first event, its read-model row at its first step, and the notices, in one
 * transaction with what the process writes of its own (`before` the row: e.g. the member it is about; `after`:
 * the rows that refer to it). Every process opens through here (the openers differ only in `own`).
 */
export async function openProcessOnce(
  db: Db,
  input: OpenProcessInput,
  own: { before?: (tx: Tx) => Promise<void>; after?: (tx: Tx) => Promise<void> } = {},
): Promise<{ applied: boolean }> {
  return recordOnce(
    db,
    {
      idempotency_key: input.key,
      process_id: input.processId,
      member_id: input.memberId,
      org_id: input.org.id,
      type: input.type,
      actor_id: input.actorId,
      payload: input.payload,
    },
    async (tx) => {
      if (input.memberId) await refuseUnlessMayOpen(tx, input.memberId, input.kind, input.processId);
      await own.before?.(tx);
      await insertProcessRow(tx, {
        id: input.processId,
        kind: input.kind,
        memberId: input.memberId,
        org: input.org,
        step: input.step,
        deadline: input.deadline,
        startedAt: input.startedAt,
      });
      await own.after?.(tx);
      await insertNotifications(tx, input.key, input.processId, input.notify ?? []);
    },
  );
}

/** What the append answers: whether it wrote, and, when the member effect was no longer legal (R25), why the process ended void. */
export interface RecordedEvent {
  applied: boolean;
  void?: { message: string; rule: 'R25'; status: string | null; byProcessId: string | null; byKind: string | null };
}

/**
 * R25: the effect an event has on its member. New events name it (`effect`); the effect of events written by runs that
 * predate the table follows from the kind, the outcome and the older `member` field, so every append goes through it.
 */
export function memberEffectOf(e: ProcessEventInput): Omit<MemberTransitionInput, 'memberId' | 'processId' | 'now'> | undefined {
  if (e.effect) return e.effect;
  if (e.kind === 'check-in' && e.orgId) {
    if (e.outcome === 'approved') return { effect: 'check-in.approve', branchId: e.orgId };
    if (e.outcome === 'returned') return { effect: 'check-in.return' };
    if (e.outcome === 'withdrawn') return { effect: 'check-in.withdraw' };
  }
  if (e.kind === 'transfer' && e.outcome === 'approved') {
    const d = e.detail ?? {};
    return d.direction === 'outbound' ? { effect: 'transfer.out' } : { effect: 'transfer.in', branchId: d.completeAt!.id };
  }
  if (e.kind === 'deletion' && e.outcome === 'approved') return { effect: 'delete' };
  if ((e.kind === 'member-change' || e.kind === 'join-date') && e.outcome === 'approved') return { effect: 'data.change' };
  const m = e.member;
  if (!m) return undefined;
  if (e.type === 'discipline.rights-restored') return { effect: 'probation.restore' };
  if (e.type === 'discipline.expelled') return { effect: 'probation.expel', sanction: 'expulsion' };
  if (m.status === 'probation') return { effect: 'sanction.probation', sanction: m.sanction ?? 'probation' };
  if (m.status === 'expelled') return { effect: 'sanction.expel', sanction: m.sanction ?? 'expulsion' };
  if (m.status === 'removed') return { effect: 'sanction.remove', sanction: m.sanction ?? 'removal-from-roll' };
  if (m.status === 'deleted') return { effect: 'delete' };
  // A case closed with no action (sanction none) has no effect on the member.
  if (m.sanction) return { effect: 'sanction.mark', sanction: m.sanction };
  return undefined;
}

/** R25: the event an effect that is no longer legal becomes: the process ends `void`, saying why, and does nothing else. */
function voided(e: ProcessEventInput, v: TransitionResult & { ok: false }): ProcessEventInput {
  return {
    ...e,
    type: 'process.voided',
    outcome: 'void',
    payload: { intended: e.type, ...e.payload, void: { rule: v.rule, message: v.message, status: v.status, byProcessId: v.byProcessId, byKind: v.byKind } },
    patch: { ...e.patch, status: 'void', step: 'closed', closed: true },
    member: undefined,
    effect: undefined,
    notify: e.orgId ? [{ recipientOrgId: e.orgId, kind: 'decision', message: `Ended without effect: ${v.message} (R25)` }] : [],
    notifyMember: undefined,
  };
}

function voidOf(e: { type: string; payload?: unknown }): Pick<RecordedEvent, 'void'> {
  if (e.type !== 'process.voided') return {};
  const p = (typeof e.payload === 'string' ? JSON.parse(e.payload) : e.payload) as { void?: RecordedEvent['void'] } | null;
  return p?.void ? { void: p.void } : {};
}

/**
 * R25: when a member leaves, their other open processes end. Each is its own workflow's to close (it records why, in
 * its timeline): they are signalled, not written here. Only processes opened before the member left: a check-in or an
 * inbound transfer opened afterwards is how a former member comes back (R10, R16).
 */
export async function closeOtherProcesses(db: Db, client: Client | undefined, memberId: string, byProcessId: string | null): Promise<number> {
  const m = await db.selectFrom('members').select(['status', 'status_process_id', 'status_changed_at']).where('id', '=', memberId).executeTakeFirst();
  if (!m || !isLeft(m.status) || (byProcessId !== null && m.status_process_id !== byProcessId) || !m.status_changed_at) return 0;
  const open = await db
    .selectFrom('processes')
    .select(['id', 'workflow_id', 'kind'])
    .where('member_id', '=', memberId)
    .where('closed_at', 'is', null)
    .where('started_at', '<', m.status_changed_at)
    .$if(byProcessId !== null, (q) => q.where('id', '<>', byProcessId!))
    .execute();
  if (!client) return open.length;
  // R22: a branch's campaign task waiting only on this member's deferral moves on (settled in the leave's transaction).
  await tellSettledTasks({ db, client }, memberId);
  const left: MemberLeft = { status: m.status, byProcessId: m.status_process_id, rule: 'R25' };
  for (const p of open) {
    try {
      await client.workflow.getHandle(p.workflow_id).signal(memberLeftSignal, left);
    } catch (e) {
      // Closed meanwhile (its last event is on its way): nothing left to end.
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  }
  return open.length;
}

export function createProcessActivities(deps: { db: Db; projections?: Partial<Record<ProcessKind, Projection | null>>; client?: Client }) {
  const { db } = deps;
  /**
   * The one event append: every process writes its events here, keyed so that a retry writes nothing twice. An event
   * with an effect on the member (R25) applies it through the transition table first, in the same transaction; an
   * effect that is no longer legal turns the event into `process.voided` and closes the process `void`, saying why.
   */
  async function recordProcessEvent(given: ProcessEventInput): Promise<RecordedEvent> {
    const input = await escalateToCommittee(db, given);
    const now = new Date();
    const effect = memberEffectOf(input);
    const recorded = await db.transaction().execute(async (tx): Promise<RecordedEvent & { left?: boolean }> => {
      const seen = await tx.selectFrom('events').select(['type', 'payload']).where('idempotency_key', '=', input.key).executeTakeFirst();
      if (seen) return { applied: false, ...voidOf(seen) };
      const verdict =
        effect && input.memberId ? await transitionMember(tx, { ...effect, memberId: input.memberId, processId: input.processId, now }) : undefined;
      const e = verdict && !verdict.ok && !verdict.quiet ? voided(input, verdict) : input;
      const row = await tx
        .insertInto('events')
        .values({
          idempotency_key: e.key,
          process_id: e.processId,
          member_id: e.memberId ?? null,
          org_id: e.orgId ?? null,
          type: e.type,
          actor_id: e.actorId ?? null,
          payload: JSON.stringify({ ...e.payload, workflowRunId: activityInfo().workflowExecution?.runId }),
        })
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      // Written by a concurrent attempt after our read: roll back what the effect did; the retry reads it.
      if (!row) throw new Error(`event ${e.key} was written concurrently`);
      if (e.patch) await applyProcessPatch(tx, e.processId, e.patch, now);
      const projection = e.kind ? deps.projections?.[e.kind] : undefined;
      if (projection) await projection(tx, e, now);
      await insertNotifications(tx, e.key, e.processId, e.notify ?? []);
      if (e.notifyMember && e.memberId) await notifyMemberActors(tx, e.key, e.processId, e.memberId, e.notifyMember);
      return { applied: true, ...voidOf(e), left: verdict?.ok === true && verdict.left };
    });
    // R25: a member who left has their other processes closed, each by its own workflow (a retry signals again).
    if (input.memberId && (recorded.left || (!recorded.applied && effect))) await closeOtherProcesses(db, deps.client, input.memberId, input.processId);
    // Counted once committed and only when new: a retried activity finds its event and counts nothing.
    if (recorded.applied && input.type === 'deadline.reminder') workerMetrics().reminders.inc();
    if (recorded.applied && (input.type === 'deadline.overdue' || input.type === 'deadline.escalated')) workerMetrics().escalations.inc();
    return { applied: recorded.applied, ...(recorded.void ? { void: recorded.void } : {}) };
  }
  return {
    recordProcessEvent,

    /** Opens a process: its first event and its read-model row, at its first step. */
    async openProcess(input: OpenProcessInput): Promise<{ applied: boolean }> {
      return openProcessOnce(db, input);
    },
  };
}

export type ProcessActivities = ReturnType<typeof createProcessActivities>;
