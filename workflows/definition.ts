// A process, declared: its kind and workflow ID, its steps, who acts and decides at each, the rule each
// decision cites, the configuration of each step's deadline, and what closing it does to the member.
// The skeleton (workflows/process.ts) runs a declaration; the API starts one (services/start-process.ts).
// Pure data and types: the API imports it without pulling in any workflow code.
import { defineUpdate } from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import type { StepTiming, TimeoutEffect } from '../domain/durations';
import { SA } from '../domain/search-attributes';
import type { OrgRef } from '../domain/orgs';
import type { DecisionAction, DecisionCommand, ProcessKind, ProcessStatus } from '../domain/processes';

/** What the "recorded" update answers: the process is written, at its first step, with that step's deadline. */
export interface Recorded {
  processId: string;
  step: string;
  deadline: string;
}

/**
 * The one early-return update of every process: the API's start (update-with-start) answers once the first
 * write is done, or refused. Runs started before it answer under their old names too (`legacyRecordedUpdate`).
 */
export const recordedUpdate = defineUpdate<Recorded>('recorded');

/** A decision a step takes: the roles that take it (none listed: whoever the authorization table admits) and its rule. */
export interface DecisionRule {
  rule: string;
  roles?: readonly string[];
  /** The decision needs a reason; the rule a refusal cites (default: the decision's rule). */
  reason?: true | string;
}

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
  /** How a refusal names it ("this check-in is already approved"). */
  noun: string;
  /** The rule a refusal about the process's state cites. */
  rule: string;
  /** Business ID = workflow ID: Temporal keeps one open process of this kind per member. */
  workflowId: (memberId: string) => string;
  /** The update name runs recorded before `recordedUpdate` answered under. */
  legacyRecordedUpdate?: string;
  first: (c: C) => S;
  steps: Record<S, StepDeclaration<C>>;
  /** A closed process belongs to this organization again (readable there and above), whoever acted last. */
  home?: (c: C) => OrgRef | undefined;
  /** Its projection keeps the deadlines too: reminders, overdue and extensions carry the kind (R22 campaign tasks). */
  projectsDeadlines?: true;
}

/** The declaration as the API needs it to start a process: no steps, no functions of the input. */
export type StartDeclaration = Pick<ProcessDefinition<string, never>, 'kind' | 'noun' | 'workflowId'>;

/** The decisions a step takes. */
export function decisionsAt<C>(step: StepDeclaration<C>): DecisionAction[] {
  return Object.keys(step.decisions) as DecisionAction[];
}

/**
 * The search attributes a process starts with (its kind, the organization that acts first and its ancestors,
 * pending, the first deadline): written once, for the API's starts and a workflow's child starts alike.
 */
export function startAttributes(kind: ProcessKind, org: { id: string; path: string }, deadline: Date): SearchAttributePair[] {
  return [
    { key: SA.kind, value: kind },
    { key: SA.org, value: org.id },
    { key: SA.orgPath, value: org.path.split('/').filter((s) => s !== '') },
    { key: SA.status, value: 'pending' },
    { key: SA.deadline, value: deadline },
    { key: SA.overdue, value: false },
  ];
}

export type { DecisionCommand, ProcessStatus };
