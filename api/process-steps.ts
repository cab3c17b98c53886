// What the API knows of each kind of process's steps, from the process declarations (workflows/*.ts): the
// step's label, the decisions it takes and who takes them. The list answers each process's label and the
// decisions its caller may take now, so the console shows exactly those (the same checks as a decision's).
import { isAllowed, type Action, type Principal } from '../domain/authz';
import type { DecisionAction, ProcessKind } from '../domain/processes';
import type { DecisionRule } from '../workflows/definition';
import { checkInProcess } from '../workflows/check-in';
import { transferProcess } from '../workflows/transfer';
import { deletionProcess } from '../workflows/deletion';
import { disciplineProcess } from '../workflows/discipline';
import { memberChangeProcess } from '../workflows/member-change';
import { joinDateProcess } from '../workflows/join-date';
import { campaignTaskProcess } from '../workflows/campaign-task';

/** A step as the API reads it: no functions of a process's input. */
interface StepView {
  label: string;
  decisions: Partial<Record<DecisionAction, DecisionRule>>;
  decidedElsewhere?: { message: string; rule: string };
}

/** The steps of each kind, straight from its declaration. */
export const STEPS: Record<ProcessKind, Record<string, StepView>> = {
  'check-in': checkInProcess.steps,
  transfer: transferProcess.steps,
  deletion: deletionProcess.steps,
  discipline: disciplineProcess.steps,
  'member-change': memberChangeProcess.steps,
  'join-date': joinDateProcess.steps,
  campaign: campaignTaskProcess.steps,
};

/** Every step name of every kind, once (a `step` filter naming none of them is a typo: 400). */
export const ALL_STEPS: readonly string[] = [...new Set(Object.values(STEPS).flatMap((steps) => Object.keys(steps)))];

/**
 * Per kind of process, the authorization each decision needs (absent: the kind has no such decision). The
 * declaration's roles say which role decides at a step; this says for which organization (own, above).
 */
export const DECISION_AUTHZ: Record<ProcessKind, Partial<Record<DecisionAction, Action>>> = {
  'check-in': { approve: 'check-in.approve', return: 'check-in.return', withdraw: 'check-in.withdraw', extend: 'deadline.extend' },
  transfer: { approve: 'transfer.approve', reject: 'transfer.reject', place: 'transfer.place', withdraw: 'transfer.withdraw', extend: 'deadline.extend' },
  deletion: { approve: 'deletion.decide', return: 'deletion.decide', reject: 'deletion.decide', withdraw: 'deletion.decide', extend: 'deadline.extend' },
  discipline: {
    approve: 'discipline.decide',
    return: 'discipline.decide',
    reject: 'discipline.decide',
    resolve: 'discipline.decide',
    expel: 'discipline.decide',
    extend: 'deadline.extend',
  },
  // R5/R7: the branch (or, for a formal R7 request, the province) decides; the member who asked withdraws, under
  // the same grant as asking (the member themself).
  'member-change': { approve: 'member-change.decide', return: 'member-change.decide', withdraw: 'member-change.request', extend: 'deadline.extend' },
  'join-date': {
    approve: 'join-date.decide',
    return: 'join-date.decide',
    reject: 'join-date.decide',
    withdraw: 'join-date.request',
    extend: 'deadline.extend',
  },
  // R22: the branch hands in its steps; the committee above it confirms or returns the evaluation.
  campaign: { submit: 'campaign.record', approve: 'campaign.review', return: 'campaign.review', extend: 'deadline.extend' },
};

function isKind(kind: string): kind is ProcessKind {
  return Object.hasOwn(STEPS, kind);
}

/** The label of a step (English; the console translates by kind and step), or the step's own name if unknown. */
export function stepLabel(kind: string, step: string): string {
  return (isKind(kind) && Object.hasOwn(STEPS[kind], step) ? STEPS[kind][step]!.label : undefined) ?? step;
}

/**
 * The decisions `p` may take on a process now: its step's decisions whose roles admit the caller's role and
 * whose authorization admits the caller's organization (the acting one; `extend` only from a committee strictly
 * above it, R3). None on a closed process, nor at a step decided on another process.
 */
export function availableActions(
  p: Principal,
  row: { kind: string; step: string; org_path: string; member_id: string | null; closed_at: Date | null },
): DecisionAction[] {
  if (row.closed_at !== null || !isKind(row.kind) || !Object.hasOwn(STEPS[row.kind], row.step)) return [];
  const step = STEPS[row.kind][row.step]!;
  if (step.decidedElsewhere) return [];
  const authz = DECISION_AUTHZ[row.kind];
  const out: DecisionAction[] = [];
  for (const [action, rule] of Object.entries(step.decisions) as [DecisionAction, DecisionRule][]) {
    const needs = authz[action];
    if (!needs) continue;
    if (rule.roles && !rule.roles.includes(p.role)) continue;
    if (isAllowed(p, needs, { orgPath: row.org_path, memberId: row.member_id })) out.push(action);
  }
  return out;
}
