// What a step's deadline writes (R3, R9): its reminders, overdue and escalations, and an extension, each an event
// through the one append; the search attributes they keep current. The watch that times them is workflows/deadline.ts.
import { proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { ProcessActivities } from '../activities/processes';
import type { DecisionCommand, ProcessKind } from '../domain/processes';
import type { TimeoutEffect } from '../domain/durations';
import { SA } from '../domain/search-attributes';
import type { DeadlineHooks, DeadlineWatch } from './deadline';
import { ACTIVITY_OPTIONS, LOCAL_ACTIVITY_OPTIONS, UPDATE_WRITE_OPTIONS } from './options';

const { recordProcessEvent } = proxyActivities<ProcessActivities>(ACTIVITY_OPTIONS);
const processLocal = proxyLocalActivities<ProcessActivities>(LOCAL_ACTIVITY_OPTIONS);
const processWithUpdate = proxyActivities<ProcessActivities>(UPDATE_WRITE_OPTIONS);

/** The organization that must act, and its ancestors, as search attributes ("what is stuck below me"). */
export function orgSearchAttributes(org: { id: string; path: string }) {
  return [
    { key: SA.org, value: org.id },
    { key: SA.orgPath, value: org.path.split('/').filter((s) => s !== '') },
  ];
}

/** R3/R9: a committee above moves a waiting step's deadline; the extension is an event like any other. */
export async function extendDeadline(
  watch: DeadlineWatch,
  cmd: DecisionCommand,
  c: StepContext & { key: string },
  ready: () => Promise<void>,
  /** The update handler's first write (workflows/process.ts `update`): a regular activity. */
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
  await (withUpdate ? processWithUpdate : processLocal).recordProcessEvent({
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
