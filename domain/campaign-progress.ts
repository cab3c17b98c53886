// R22: a campaign's progress as the API reports it: the counts one subtree query sums (api/campaigns.ts), turned
// into shares, each compared with the phase's dated target in force and its deadline for the organization's level.
// Pure functions: no database, no clock of their own (`now` is passed in).
import { AGE_OUT_AT } from './numbers';
import { birthDateOf } from './identifiers';
import { dateParts } from './calendar';
import { dueAt, levelDeadline, targetAt, type CampaignPhases, type Due, type Phase, type PhasePlan, type Target } from './campaign-plan';

/** The counts of the branches' tasks in a subtree (one row of the progress query). */
export interface BranchCounts {
  total: number;
  evaluated: number;
  confirmed: number;
  registered: number;
  done: number;
  inProgress: number;
  overdue: number;
  unfinished: number;
}

export interface MemberCounts {
  total: number;
  evaluated: number;
  registered: number;
}

export interface PhaseProgress {
  share: number;
  deadline: string;
  target: Target | null;
  behind: boolean;
}

/**
 * R19/R22: a member whose 28th birthday falls in the campaign's year is not registered: they age out that year
 * (the birth date is the ID number's, GB 11643).
 */
export function turns28In(idNumber: string, year: number): boolean {
  return dateParts(birthDateOf(idNumber)).year + AGE_OUT_AT === year;
}

/** The level whose deadline applies to an organization: a branch's own step, or a committee's depth (the province: the phase's end). */
export function levelOf(org: { kind: string; depth: number }): 'branch' | number | null {
  if (org.kind === 'branch') return 'branch';
  return org.depth >= 1 ? org.depth : null;
}

/** The phase's deadline for the organization's level, moved by its city's extension (never earlier). */
export function phaseDeadline(plan: PhasePlan, org: { kind: string; depth: number }, extendedUntil?: Due): number {
  const level = levelOf(org);
  if (level === null) return extendedUntil === undefined ? dueAt(plan.endsOn) : Math.max(dueAt(plan.endsOn), dueAt(extendedUntil));
  return levelDeadline(plan, level, extendedUntil);
}

/** `part` of `total`, 0 when there is nothing to count. */
export function shareOf(part: number, total: number): number {
  return total > 0 ? part / total : 0;
}

/**
 * R22: behind when the target in force now asks for more than the share, or the deadline has passed with the
 * phase not done everywhere. A subtree without branches is never behind.
 */
export function isBehind(share: number, total: number, target: Target | null, deadline: number, now: number): boolean {
  if (total === 0) return false;
  return (target !== null && target.share > share) || (now > deadline && share < 1);
}

/** Evaluation done = confirmed by the committee above; registration done = the branch's task closed approved. */
export function phaseProgress(plan: PhasePlan, phase: Phase, counts: BranchCounts, deadline: number, now: number): PhaseProgress {
  const share = shareOf(phase === 'evaluation' ? counts.confirmed : counts.done, counts.total);
  const target = targetAt(plan.targets, now);
  return { share, deadline: new Date(deadline).toISOString(), target, behind: isBehind(share, counts.total, target, deadline, now) };
}

/**
 * The phase the subtree is in: the evaluation while its end has not passed and some branch's evaluation is not
 * yet confirmed, then the registration (the two phases may overlap: branches move at their own pace).
 */
export function currentPhase(phases: CampaignPhases, counts: BranchCounts, now: number, evaluationExtendedUntil?: Due): Phase {
  const end = Math.max(dueAt(phases.evaluation.endsOn), evaluationExtendedUntil === undefined ? 0 : dueAt(evaluationExtendedUntil));
  return now <= end && counts.confirmed < counts.total ? 'evaluation' : 'registration';
}
