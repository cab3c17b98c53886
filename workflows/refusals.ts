// Refusals: how an update's validator refuses (nothing is written to history), the shape of a decision checked
// there, and the ApplicationFailure an activity's refusal arrives as.
import { ApplicationFailure } from '@temporalio/workflow';
import type { ProblemKind } from '../domain/errors';
import type { DecisionCommand } from '../domain/processes';
import type { DeadlineWatch } from './deadline';

/** Refuses an update in its validator: nothing is written to history, and the caller gets kind and rule. */
export function refuse(kind: ProblemKind, message: string, rule?: string): never {
  throw ApplicationFailure.create({ type: kind, message, details: [{ kind, message, rule }], nonRetryable: true });
}

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

/** R3/R9: why a deadline extension is refused, checked in a validator. */
export function extensionProblem(cmd: DecisionCommand, watch: DeadlineWatch): void {
  const until = Date.parse(cmd.until ?? '');
  if (!(until > Date.now())) refuse('rule', 'the new deadline must be in the future', 'R3');
  if (until <= watch.deadline) refuse('rule', 'an extension must move the deadline later', 'R3');
}
