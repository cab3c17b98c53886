// Activities every process shares: append an event with its read-model change and notification.
import { activityInfo } from '@temporalio/activity';
import { sql } from 'kysely';
import { recordOnce, type Db, type Tx } from '../db';
import { pathIds, type OrgRef } from '../domain/orgs';
import type { ProcessKind, ProcessStatus } from '../domain/processes';
import { workerMetrics } from '../worker/metrics';

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
  /** The effect on the member record (R14 deletion, R18 sanctions). */
  member?: { status?: 'active' | 'probation' | 'expelled' | 'removed' | 'deleted'; sanction?: string | null; deleted?: boolean };
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
 * R3: the nearest committee above an organization (its deepest ancestor of kind 'committee'; a general branch
 * in between is passed over), or null when none is above it or the organization is unknown.
 */
export async function nearestCommitteeAbove(db: Db, orgId: string): Promise<string | null> {
  const org = await db.selectFrom('organizations').select('path').where('id', '=', orgId).executeTakeFirst();
  const ancestors = org ? pathIds(org.path).slice(0, -1) : [];
  if (ancestors.length === 0) return null;
  const committee = await db
    .selectFrom('organizations')
    .select('id')
    .where('id', 'in', ancestors)
    .where('kind', '=', 'committee')
    .orderBy('depth', 'desc')
    .limit(1)
    .executeTakeFirst();
  return committee?.id ?? null;
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

export function createProcessActivities(deps: { db: Db; projections?: Partial<Record<ProcessKind, Projection>> }) {
  const { db } = deps;
  /** The one event append: every process writes its events here, keyed so that a retry writes nothing twice. */
  async function recordProcessEvent(given: ProcessEventInput): Promise<{ applied: boolean }> {
    const input = await escalateToCommittee(db, given);
    const now = new Date();
    const recorded = await recordOnce(
      db,
      {
        idempotency_key: input.key,
        process_id: input.processId,
        member_id: input.memberId ?? null,
        org_id: input.orgId ?? null,
        type: input.type,
        actor_id: input.actorId ?? null,
        payload: { ...input.payload, workflowRunId: activityInfo().workflowExecution?.runId },
      },
      async (tx) => {
        if (input.patch) await applyProcessPatch(tx, input.processId, input.patch, now);
        const projection = input.kind ? deps.projections?.[input.kind] : undefined;
        if (projection) await projection(tx, input, now);
        if (input.member && input.memberId) {
          const { status, sanction, deleted } = input.member;
          await tx
            .updateTable('members')
            .set({
              ...(status ? { status } : {}),
              ...(sanction !== undefined ? { sanction } : {}),
              ...(deleted ? { deleted_at: now } : {}),
              updated_at: now,
            })
            .where('id', '=', input.memberId)
            .execute();
        }
        await insertNotifications(tx, input.key, input.processId, input.notify ?? []);
        if (input.notifyMember && input.memberId) await notifyMemberActors(tx, input.key, input.processId, input.memberId, input.notifyMember);
      },
    );
    // Counted once committed and only when new: a retried activity finds its event and counts nothing.
    if (recorded.applied && input.type === 'deadline.reminder') workerMetrics().reminders.inc();
    if (recorded.applied && (input.type === 'deadline.overdue' || input.type === 'deadline.escalated')) workerMetrics().escalations.inc();
    return recorded;
  }
  return {
    recordProcessEvent,
    // The names the append had per process before the skeleton: histories record an activity's name, so runs
    // that wrote under them replay under them (workflows/process.ts, patch one-event-append). Same append.
    recordCheckInDecision: recordProcessEvent,
    recordDeletionEvent: recordProcessEvent,
    recordTransferEvent: recordProcessEvent,

    /** Opens a process: its first event and its read-model row, at its first step. */
    async openProcess(input: OpenProcessInput): Promise<{ applied: boolean }> {
      return openProcessOnce(db, input);
    },
  };
}

export type ProcessActivities = ReturnType<typeof createProcessActivities>;
