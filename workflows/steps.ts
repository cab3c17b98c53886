// The steps of a process with several waiting steps (transfer, deletion, disciplinary case): which step it is
// at, who must act, that step's own deadline watch, and the read-model change of moving on or closing.
import { upsertSearchAttributes } from '@temporalio/workflow';
import { stepDeadline } from '../domain/calendar';
import type { ProcessPatch } from '../activities/processes';
import type { StepTiming } from '../domain/durations';
import type { DecisionCommand, DecisionResult, ProcessKind, ProcessState, ProcessStatus } from '../domain/processes';
import type { TimeoutEffect } from '../domain/durations';
import type { OrgRef } from '../domain/orgs';
import { SA } from '../domain/search-attributes';
import { DeadlineWatch } from './deadline';
import { deadlineHooks, extendDeadline, orgSearchAttributes, withTimeoutEffect, type StepContext } from './deadline-hooks';
import { refuse } from './refusals';

export interface StepsOptions<S extends string> {
  processId: string;
  memberId: string | null;
  first: S;
  label: Record<S, string>;
  /** The organization that must act at a step; it is reminded, and its parent receives the escalations. */
  actingOrg: (step: S) => OrgRef;
  timing: (step: S) => StepTiming & { onTimeout?: TimeoutEffect };
  /** R9: a step whose timeout decides ("approve", "lapse") instead of escalating. */
  onTimeout?: (effect: 'approve' | 'lapse') => void;
  /**
   * The organization a closed process belongs to (the member's branch): readable there and at every level
   * above, whoever acted last. A function, so a workflow can decide it at closing time (behind a patch).
   */
  home?: () => OrgRef | undefined;
  /** The kind whose projection keeps this process's deadlines too (StepContext.kind). */
  deadlineKind?: ProcessKind;
}

/** A step's deadline from now. R3: natural days end at 24:00 Shanghai of the last day, R18: a probation ends the same day months later (domain/calendar.ts). */
export function deadlineOf(timing: StepTiming): number {
  return stepDeadline(timing, Date.now());
}

export class ProcessSteps<S extends string> {
  status: ProcessStatus = 'pending';
  step: S;
  acting: OrgRef;
  watch: DeadlineWatch;
  /** Visits of steps so far: each visit keys its reminders and escalations apart (a step may be visited again). */
  #visits = 0;

  constructor(private readonly o: StepsOptions<S>) {
    this.step = o.first;
    this.acting = o.actingOrg(o.first);
    this.watch = this.#newWatch(o.first);
  }

  /** Changes with every move, also back to a step visited before. */
  get visits(): number {
    return this.#visits;
  }

  get pending(): boolean {
    return this.status === 'pending';
  }

  context(): StepContext & { keyPrefix: string } {
    const { processId, memberId, label } = this.o;
    return {
      processId,
      memberId,
      orgId: this.acting.id,
      parentOrgId: this.acting.parentId,
      stepLabel: label[this.step],
      keyPrefix: `${processId}:${this.step}:${this.#visits}`,
      ...(this.o.deadlineKind ? { kind: this.o.deadlineKind } : {}),
    };
  }

  #newWatch(step: S): DeadlineWatch {
    const timing = this.o.timing(step);
    const hooks = deadlineHooks(() => this.context());
    return new DeadlineWatch(deadlineOf(timing), timing, this.o.onTimeout ? withTimeoutEffect(hooks, timing.onTimeout ?? 'remind', this.o.onTimeout) : hooks);
  }

  /** Moves to the next step: its acting organization, its own deadline; returns the read-model change. */
  enter(next: S): ProcessPatch {
    this.#visits += 1;
    this.step = next;
    this.acting = this.o.actingOrg(next);
    this.watch = this.#newWatch(next);
    upsertSearchAttributes([
      ...orgSearchAttributes(this.acting),
      { key: SA.deadline, value: new Date(this.watch.deadline) },
      { key: SA.overdue, value: false },
    ]);
    return { step: next, org: { id: this.acting.id, path: this.acting.path }, deadline: new Date(this.watch.deadline).toISOString(), overdue: false };
  }

  /** Closes the process and hands it back to its home organization, if it has one. */
  close(outcome: ProcessStatus): ProcessPatch {
    this.status = outcome;
    const backTo = this.o.home?.();
    upsertSearchAttributes([...(backTo ? orgSearchAttributes(backTo) : []), { key: SA.status, value: outcome }, { key: SA.overdue, value: false }]);
    return { status: outcome, step: 'closed', closed: true, ...(backTo ? { org: { id: backTo.id, path: backTo.path } } : {}) };
  }

  /** The workflow's own view, for the `state` query. */
  state(): ProcessState {
    const w = this.watch;
    return {
      processId: this.o.processId,
      status: this.status,
      step: this.pending ? this.step : 'closed',
      deadline: new Date(w.deadline).toISOString(),
      overdue: w.overdue,
      remindersSent: w.remindersSent,
      escalations: w.escalations,
    };
  }

  /** In a validator: the process is still open, and the caller decided the step it is at. */
  refuseUnlessAt(cmd: { step?: string }, what: string, rule: string): void {
    if (!this.pending) refuse('conflict', `this ${what} is already ${this.status}`);
    if (cmd.step !== undefined && cmd.step !== this.step) refuse('conflict', `this ${what} has moved on to the step "${this.step}"; reload it`, rule);
  }

  /** The `decide` update's handler: an extension moves the current step's deadline, any other decision goes to `decide`. */
  decisionHandler(decide: (cmd: DecisionCommand) => Promise<void>, ready: () => Promise<void>): (cmd: DecisionCommand) => Promise<DecisionResult> {
    return async (cmd) => {
      if (cmd.action === 'extend') await this.extend(cmd, ready);
      else await decide(cmd);
      return { status: this.status, deadline: new Date(this.watch.deadline).toISOString() };
    };
  }

  /** R3/R9: an admin above moves the current step's deadline. */
  extend(cmd: DecisionCommand, ready: () => Promise<void>): Promise<void> {
    const c = this.context();
    return extendDeadline(this.watch, cmd, { ...c, key: c.keyPrefix }, ready, this.writesWithUpdate());
  }

  /** Whether a write asked for now is an update handler's first, to be made durable with the update (workflows/process.ts). */
  protected writesWithUpdate(): boolean {
    return false;
  }
}
