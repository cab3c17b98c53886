// R22: a campaign's plan as the workflows read it: phases, deadlines per level, dated targets, and what a branch's
// task does at each step. No zod here: the workflow bundle imports it (domain/campaigns.ts validates the input).
import { officeDayEnd } from './calendar';
import type { OrgRef } from './orgs';

export type Phase = 'evaluation' | 'registration';

/** The steps of a branch's task, and the two ends its read-model row may show. */
export type CampaignTaskStep = 'evaluation' | 'evaluation-review' | 'registration' | 'registration-check' | 'follow-up' | 'done' | 'unfinished';

/** 优秀, 合格, 基本合格, 不合格. */
export type Grade = 'excellent' | 'qualified' | 'basic' | 'unqualified';
export const GRADES: readonly Grade[] = ['excellent', 'qualified', 'basic', 'unqualified'];

/** 准予注册, 暂缓注册 (reason, follow-up date), 不予注册 (reason; the member's deletion, R14). */
export type RegistrationDecision = 'registered' | 'deferred' | 'refused';

/**
 * A deadline: a date (YYYY-MM-DD, the end of that day in Asia/Shanghai) or an instant (ISO date-time, for
 * short runs and tests).
 */
export type Due = string;

/** A dated target: by `by`, at least `share` (0-1) of the branches done with the phase (the seeds' 30 % / 80 % / all). */
export interface Target {
  by: Due;
  share: number;
}

/** A deadline for one level: `branch` (the branches' own step), or a committee depth (1 = city) for its review. */
export interface LevelDeadline {
  level: 'branch' | number;
  on: Due;
}

export interface PhasePlan {
  startsOn: string;
  /** The province's own deadline for the phase: every level's deadline when the level has none of its own. */
  endsOn: Due;
  deadlines: LevelDeadline[];
  targets: Target[];
}

export interface CampaignPhases {
  evaluation: PhasePlan;
  registration: PhasePlan;
}

/** The instant a deadline falls: the end of an office day, or the instant given. */
export function dueAt(due: Due): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(due) ? officeDayEnd(due) - 1 : Date.parse(due);
}

/**
 * The deadline of a level in a phase: its own, or the phase's end; a city's extension (R22: the province extends a
 * phase for one city) moves it later, never earlier.
 */
export function levelDeadline(plan: PhasePlan, level: 'branch' | number, extendedUntil?: Due): number {
  const own = plan.deadlines.find((d) => d.level === level);
  const base = dueAt(own?.on ?? plan.endsOn);
  return extendedUntil === undefined ? base : Math.max(base, dueAt(extendedUntil));
}

/** The target in force at `now`: the latest whose date has passed, or none yet. */
export function targetAt(targets: readonly Target[], now: number): Target | null {
  let current: Target | null = null;
  for (const t of [...targets].sort((a, b) => dueAt(a.by) - dueAt(b.by))) if (dueAt(t.by) <= now) current = t;
  return current;
}

/** The share of 优秀 over the cap: a branch of `total` graded members may give at most floor(cap × total). */
export function excellentOverCap(cap: number | null, excellent: number, total: number): boolean {
  return cap !== null && excellent > Math.floor(cap * total);
}

/** The steps a branch's task waits at (its read-model row also shows `done` and `unfinished`). */
export type CampaignTaskStepName = Exclude<CampaignTaskStep, 'done' | 'unfinished'>;

/** A branch's task in a campaign (R22), as the fan-out starts it (workflows/campaign-task.ts). */
export interface CampaignTaskInput {
  processId: string;
  campaignId: string;
  /** The campaign's workflow ID: the task's own is derived from it (domain/workflow-ids.ts). */
  campaignWorkflowId: string;
  year: number;
  branch: OrgRef;
  /** The nearest committee above the branch: it confirms or returns the evaluation. */
  reviewer: OrgRef;
  phases: CampaignPhases;
  timing: { reminderOffsetsMs: number[]; escalationIntervalMs: number };
  /** The phases extended for the branch's city when the task started (later ones arrive as a signal). */
  extended?: Partial<Record<Phase, Due>>;
}

/** The members a branch evaluates and registers: those of the league in it (active or on probation), not deleted. */
export const IN_CAMPAIGN = ['active', 'probation'] as const;

/**
 * R22: why the evaluation cannot be handed in (a member ungraded, 优秀 above the cap), or null. Checked before the
 * `submit` is sent (services/campaign-checks.ts) and again where the hand-in is decided, under the task's row lock
 * (activities/campaigns/).
 */
export function evaluationProblem(members: readonly { grade: Grade | null }[], cap: number | null): string | null {
  const ungraded = members.filter((m) => m.grade === null).length;
  if (ungraded > 0) return `R22: ${ungraded} member${ungraded === 1 ? ' has' : 's have'} no grade`;
  const excellent = members.filter((m) => m.grade === 'excellent').length;
  if (excellentOverCap(cap, excellent, members.length))
    return `R22: ${excellent} of ${members.length} members graded 优秀, above the cap of ${Math.floor((cap ?? 1) * members.length)} (${(cap ?? 1) * 100} %)`;
  return null;
}
