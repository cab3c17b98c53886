// Helpers every process workflow shares: refusals for update validators, activity options, read-model hooks.
import {
  ApplicationFailure,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  type ActivityOptions,
  type LocalActivityOptions,
} from '@temporalio/workflow';
import type { ProblemKind } from '../domain/errors';
import type { ProcessActivities } from '../activities/processes';
import type { DeadlineHooks, DeadlineWatch } from './deadline';
import type { DecisionCommand, DecisionResult, ProcessKind, ProcessState } from '../domain/processes';
import type { TimeoutEffect } from '../domain/durations';
import { SA } from '../domain/search-attributes';

/** Every process workflow answers these: a human decision (an Update with a validator) and its own state. */
export const decideUpdate = defineUpdate<DecisionResult, [DecisionCommand]>('decide');
export const stateQuery = defineQuery<ProcessState>('state');

/** The ApplicationFailure an activity (remote or local) failed with, wherever it sits in the cause chain. */
export function applicationFailureIn(e: unknown): ApplicationFailure | undefined {
  for (let c = e; c instanceof Error; c = (c as Error & { cause?: unknown }).cause) {
    if (c instanceof ApplicationFailure) return c;
  }
  return undefined;
}

const DECISION_ACTIONS = ['approve', 'return', 'withdraw', 'extend', 'reject', 'place', 'resolve', 'expel', 'submit'];

/**
 * The decision's shape, checked in the update validator. The API parsed it with zod (DecisionBody) already;
 * zod itself stays out of the workflow bundle, whose modules are evaluated again for every workflow run
 * and replay (zod's initialisation showed up as a large share of the workflow thread's CPU in the bench).
 */
export function decisionShapeProblem(cmd: unknown): string | undefined {
  const c = cmd as Partial<Record<keyof DecisionCommand, unknown>> | null;
  if (!c || typeof c !== 'object') return 'not an object';
  if (!DECISION_ACTIONS.includes(c.action as string)) return `unknown action ${String(c.action)}`;
  if (typeof c.actorId !== 'string' || c.actorId === '') return 'actorId missing';
  if (c.reason !== undefined && typeof c.reason !== 'string') return 'reason must be text';
  if (c.until !== undefined && (typeof c.until !== 'string' || Number.isNaN(Date.parse(c.until)))) return 'until must be a date-time';
  if (c.step !== undefined && typeof c.step !== 'string') return 'step must be text';
  if (c.branch !== undefined) {
    const b = c.branch as Partial<Record<string, unknown>> | null;
    if (!b || typeof b.id !== 'string' || typeof b.path !== 'string') return 'branch must name an organization';
  }
  return undefined;
}

/** Refuses an update in its validator: nothing is written to history, and the caller gets kind and rule. */
export function refuse(kind: ProblemKind, message: string, rule?: string): never {
  throw ApplicationFailure.create({ type: kind, message, details: [{ kind, message, rule }], nonRetryable: true });
}

/** Activities retry until the database answers (nothing accepted is lost); bad data does not retry. */
export const ACTIVITY_OPTIONS: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: ['InvariantViolation'] },
};

/**
 * An update handler's first write (workflows/process.ts, patch update-accepted-first): a regular activity, so the
 * update is recorded as accepted before the write runs. A worker lost while running it delays the decision until
 * this timeout, so it is the 10 s a lost workflow task took when the write was local, not the 30 s above; a slow
 * attempt that is retried writes nothing twice (the append is keyed).
 */
export const UPDATE_WRITE_OPTIONS: ActivityOptions = { ...ACTIVITY_OPTIONS, startToCloseTimeout: '10 seconds' };

/** Local activities for the writes a caller waits on: they run inside the workflow task, saving round trips. */
export const LOCAL_ACTIVITY_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
  retry: ACTIVITY_OPTIONS.retry,
};

/**
 * Patch `local-record-activities`: the writes a caller waits for (submission, decision, extension) became
 * local activities. Histories recorded before it (test/histories/*-v1.json) replay through the old path.
 */
export function recorder<A extends object>(remote: A, local: A): A {
  return patched('local-record-activities') ? local : remote;
}

const { recordProcessEvent } = proxyActivities<ProcessActivities>(ACTIVITY_OPTIONS);
const processRemote = proxyActivities<ProcessActivities>(ACTIVITY_OPTIONS);
const processLocal = proxyLocalActivities<ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);
const processWithUpdate = proxyActivities<ProcessActivities>(UPDATE_WRITE_OPTIONS);

/** The organization that must act, and its ancestors, as search attributes ("what is stuck below me"). */
export function orgSearchAttributes(org: { id: string; path: string }) {
  return [
    { key: SA.org, value: org.id },
    { key: SA.orgPath, value: org.path.split('/').filter((s) => s !== '') },
  ];
}

/** R3/R9: why a deadline extension is refused, checked in a validator. */
export function extensionProblem(cmd: DecisionCommand, watch: DeadlineWatch): void {
  const until = Date.parse(cmd.until ?? '');
  if (!(until > Date.now())) refuse('rule', 'the new deadline must be in the future', 'R3');
  if (until <= watch.deadline) refuse('rule', 'an extension must move the deadline later', 'R3');
}

/** R3/R9: a committee above moves a waiting step's deadline; the extension is an event like any other. */
export async function extendDeadline(
  watch: DeadlineWatch,
  cmd: DecisionCommand,
  c: StepContext & { key: string },
  ready: () => Promise<void>,
  /** The update handler's first write (workflows/process.ts, patch update-accepted-first): a regular activity. */
  withUpdate = false,
): Promise<void> {
  const previous = watch.deadline;
  watch.extend(Date.parse(cmd.until!));
  const round = watch.round;
  upsertSearchAttributes([
    { key: SA.deadline, value: new Date(watch.deadline) },
    { key: SA.overdue, value: watch.overdue },
  ]);
  await ready();
  await (withUpdate ? processWithUpdate : recorder(processRemote, processLocal)).recordProcessEvent({
    key: `${c.key}:extended:${round}`,
    processId: c.processId,
    memberId: c.memberId,
    orgId: c.orgId,
    type: 'deadline.extended',
    ...(c.kind ? { kind: c.kind } : {}),
    actorId: cmd.actorId,
    payload: { reason: cmd.reason, from: new Date(previous).toISOString(), until: cmd.until },
    patch: { deadline: new Date(watch.deadline).toISOString(), overdue: watch.overdue },
  });
}

/**
 * R9: what a step's timeout does is configuration. "remind" keeps the shared overdue and escalation hooks;
 * "approve" and "lapse" hand the deadline to the process instead (it decides once, nothing escalates).
 */
export function withTimeoutEffect(hooks: DeadlineHooks, effect: TimeoutEffect, onTimeout: (effect: 'approve' | 'lapse') => void): DeadlineHooks {
  if (effect === 'remind') return hooks;
  return {
    reminder: hooks.reminder,
    overdue: async () => onTimeout(effect),
    escalate: async () => {},
  };
}

export interface StepContext {
  processId: string;
  memberId: string | null;
  /** The organization that must act, and the one its escalations go to (R3: the parent committee). */
  orgId: string;
  parentOrgId: string | null;
  stepLabel: string;
  /** Prefix of the event keys; a process with several waiting steps gives each visit of a step its own (default: the process id). */
  keyPrefix?: string;
  /**
   * Set by a process whose own projection keeps deadlines too (a campaign task's row, R22): its reminders, overdue,
   * escalations and extensions go to that projection as well. Left out by the others, whose recorded inputs stay as they were.
   */
  kind?: ProcessKind;
}

/** Deadline hooks that write reminders, overdue and escalations through the shared event append. */
export function deadlineHooks(ctx: () => StepContext): DeadlineHooks {
  return {
    async reminder(round, index, offsetMs) {
      const c = ctx();
      await recordProcessEvent({
        key: `${c.keyPrefix ?? c.processId}:reminder:${round}:${index}`,
        processId: c.processId,
        memberId: c.memberId,
        orgId: c.orgId,
        type: 'deadline.reminder',
        ...(c.kind ? { kind: c.kind } : {}),
        payload: { round, offsetMs },
        notify: [{ recipientOrgId: c.orgId, kind: 'reminder', message: `${c.stepLabel}: due in ${formatMs(offsetMs)}` }],
      });
    },
    async overdue(round, escalation) {
      const c = ctx();
      upsertSearchAttributes([{ key: SA.overdue, value: true }]);
      await recordProcessEvent({
        key: `${c.keyPrefix ?? c.processId}:overdue:${round}`,
        processId: c.processId,
        memberId: c.memberId,
        orgId: c.orgId,
        type: 'deadline.overdue',
        ...(c.kind ? { kind: c.kind } : {}),
        payload: { round, escalation, escalatedTo: c.parentOrgId },
        patch: { overdue: true },
        notify: escalationNotices(c, 'is overdue'),
      });
    },
    async escalate(escalation) {
      const c = ctx();
      await recordProcessEvent({
        key: `${c.keyPrefix ?? c.processId}:escalation:${escalation}`,
        processId: c.processId,
        memberId: c.memberId,
        orgId: c.orgId,
        type: 'deadline.escalated',
        ...(c.kind ? { kind: c.kind } : {}),
        payload: { escalation, escalatedTo: c.parentOrgId },
        notify: escalationNotices(c, `is still overdue (escalation ${escalation})`),
      });
    },
  };
}

function escalationNotices(c: StepContext, what: string) {
  return [
    { recipientOrgId: c.orgId, kind: 'escalation' as const, message: `${c.stepLabel} ${what}` },
    ...(c.parentOrgId ? [{ recipientOrgId: c.parentOrgId, kind: 'escalation' as const, message: `${c.stepLabel} at ${c.orgId} ${what}` }] : []),
  ];
}

function formatMs(ms: number): string {
  const units: [number, string][] = [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
