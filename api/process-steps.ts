// What the API knows of each kind of process's steps, read from the one registry of declarations (processes/): the
// step's label, the decisions it takes, who takes them and for which organization. The list answers each process's
// label and the decisions its caller may take now, so the console shows exactly those (the same checks as a decision's).
import { isAllowed, type Action, type Principal } from '../domain/authz';
import type { DecisionAction, ProcessKind } from '../domain/processes';
import { DECLARATIONS } from '../processes';
import type { DecisionRule, Names } from '../processes/definition';

/** A step as the API reads it: no functions of a process's input. */
interface StepView {
  names: Names;
  label: string;
  decisions: Partial<Record<DecisionAction, DecisionRule>>;
  decidedElsewhere?: { message: string; rule: string };
}

/** The steps of a kind, straight from its declaration. */
export function stepsOf(kind: ProcessKind): Readonly<Record<string, StepView>> {
  return DECLARATIONS[kind].steps;
}

/**
 * The authorization a kind's decision needs, whatever the step (absent: the kind has no such decision). Every step
 * of a kind that takes a decision declares the same authorization for it (test/registry.test.ts).
 */
export function decisionAuthz(kind: ProcessKind, action: DecisionAction): Action | undefined {
  for (const step of Object.values(stepsOf(kind))) {
    const rule = step.decisions[action];
    if (rule) return rule.authz;
  }
  return undefined;
}

function isKind(kind: string): kind is ProcessKind {
  return Object.hasOwn(DECLARATIONS, kind);
}

/** The label of a step (English; the console translates by kind and step), or the step's own name if unknown. */
export function stepLabel(kind: string, step: string): string {
  return (isKind(kind) && Object.hasOwn(stepsOf(kind), step) ? stepsOf(kind)[step]!.label : undefined) ?? step;
}

/** Each kind's names, its steps with theirs and the decisions each takes, in declaration order: what the console shows and offers. */
export function processKinds(): { kind: ProcessKind; names: Names; steps: { step: string; names: Names; actions: DecisionAction[] }[] }[] {
  return (Object.keys(DECLARATIONS) as ProcessKind[]).map((kind) => ({
    kind,
    names: DECLARATIONS[kind].names,
    steps: Object.entries(stepsOf(kind)).map(([step, view]) => ({ step, names: view.names, actions: Object.keys(view.decisions) as DecisionAction[] })),
  }));
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
  if (row.closed_at !== null || !isKind(row.kind) || !Object.hasOwn(stepsOf(row.kind), row.step)) return [];
  const step = stepsOf(row.kind)[row.step]!;
  if (step.decidedElsewhere) return [];
  const out: DecisionAction[] = [];
  for (const [action, rule] of Object.entries(step.decisions) as [DecisionAction, DecisionRule][]) {
    if (rule.roles && !rule.roles.includes(p.role)) continue;
    if (isAllowed(p, rule.authz, { orgPath: row.org_path, memberId: row.member_id })) out.push(action);
  }
  return out;
}
