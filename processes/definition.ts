// A process, declared: its kind and workflow ID, its steps, who acts and decides at each, the authorization and the
// rule of each decision, what the API resolves before sending one, the configuration of each step's deadline.
// One declaration per kind (processes/<kind>.ts), gathered in DECLARATIONS (processes/index.ts): the skeleton
// (workflows/process.ts) runs it, the API starts it, lists its steps and checks its decisions from it.
// Pure data and types: no workflow code (no proxyActivities), so the API and the worker read it freely.
import type { Action } from '../domain/authz';
import type { StepTiming, TimeoutEffect } from '../domain/durations';
import type { OrgRef } from '../domain/orgs';
import type { DecisionAction, DecisionCommand, ProcessKind, ProcessStatus } from '../domain/processes';

/** A name as people read it, in each language the console speaks (zh-CN first): the console shows these. */
export interface Names {
  'zh-CN': string;
  en: string;
}

/** What the "recorded" update answers: the process is written, at its first step, with that step's deadline. */
export interface Recorded {
  processId: string;
  step: string;
  deadline: string;
}

/** A decision a step takes: its authorization, the roles that take it (none listed: whoever the authorization admits) and its rule. */
export interface DecisionRule {
  rule: string;
  /** For which organization the caller may take it (own, above: domain/authz.ts); the roles below narrow it to a role. */
  authz: Action;
  roles?: readonly string[];
  /** The decision needs a reason; the rule a refusal cites (default: the decision's rule). */
  reason?: true | string;
}

/**
 * What the API resolves before sending a decision to the workflow (api/decision-preparations.ts):
 * `step-and-role` the step the caller saw and the caller's role, for processes whose steps each belong to one role;
 * the others are their process's own (R9's branch to place into, R18's materials, R22's hand-in checks).
 */
export type Preparation = 'step-and-role' | 'transfer' | 'discipline' | 'campaign';

/** The member record's change when a process closes with an outcome. */
export interface MemberEffect {
  status?: 'active' | 'probation' | 'expelled' | 'removed' | 'deleted' | 'transferred_out';
  sanction?: string | null;
  deleted?: boolean;
}

/**
 * One step. `C` is what the process knows while it runs: its input, and what it learnt since (the
 * destination branch of a transfer, the sanction a branch meeting decided).
 */
export interface StepDeclaration<C> {
  /** The step's name in the console. */
  names: Names;
  /** The step as notices and the API's `stepLabel` name it (English). */
  label: string;
  /** The organization that must act: reminded before the deadline, its nearest committee above escalated to after. */
  acting: (c: C) => OrgRef;
  /** The step's deadline, reminders and escalation, and what its timeout does (R9): configuration, from the input. */
  timing: (c: C) => StepTiming & { onTimeout?: TimeoutEffect };
  /** The decisions taken at this step through the `decide` update ("extend" is every waiting step's, R3/R9). */
  decisions: Partial<Record<DecisionAction, DecisionRule>>;
  /** No decision is taken here: it is taken on another process (why, and the rule a refusal cites). */
  decidedElsewhere?: { message: string; rule: string };
}

export interface ProcessDefinition<S extends string, C> {
  kind: ProcessKind;
  /** The kind's name in the console. */
  names: Names;
  /** The workflow type the worker registers (workflows/index.ts): the API and the activities start it by this name. */
  workflowType: string;
  /** How a refusal names it ("this check-in is already approved"). */
  noun: string;
  /** The rule a refusal about the process's state cites. */
  rule: string;
  /** The rule a decision the kind does not have is refused under (who acts on a process: R1; on a transfer: R9). */
  actsRule: string;
  /** Business ID = workflow ID: Temporal keeps one open process of this kind per member. */
  workflowId: (memberId: string) => string;
  /** What the API resolves before sending a decision (none: the body and the caller as they are). */
  prepare?: Preparation;
  first: (c: C) => S;
  steps: Record<S, StepDeclaration<C>>;
  /** A closed process belongs to this organization again (readable there and above), whoever acted last. */
  home?: (c: C) => OrgRef | undefined;
  /** Its projection keeps the deadlines too: reminders, overdue and extensions carry the kind (R22 campaign tasks). */
  projectsDeadlines?: true;
}

/** A declaration of any kind, as the registry holds it. */
export type AnyProcessDefinition = ProcessDefinition<string, any>;

/** The declaration as the API needs it to start a process: no steps, no functions of the input. */
export type StartDeclaration = Pick<ProcessDefinition<string, never>, 'kind' | 'noun' | 'workflowId' | 'workflowType'>;

/** The decisions a step takes. */
export function decisionsAt<C>(step: StepDeclaration<C>): DecisionAction[] {
  return Object.keys(step.decisions) as DecisionAction[];
}

export type { DecisionCommand, ProcessStatus };
