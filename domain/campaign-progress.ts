// R22: a campaign's progress as the API reports it: the counts one subtree query sums (db/queries/campaigns.ts
// `subtreeCounts`), turned into shares, each compared with the phase's dated target in force and its deadline for
// the organization's level.
// Pure functions: no database, no clock of their own (`now` is passed in).
import { AGE_OUT_AT } from './numbers';
import { birthDateOf } from './identifiers';
import { dateParts } from './calendar';
import { pathIds } from './orgs';
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

/** One row of the subtree query: the counts under one child organization ('' is the organization's own task). */
export type SubtreeCountRow = BranchCounts & { child: string; members_total: number; members_evaluated: number; members_registered: number };

function sumCounts(rows: SubtreeCountRow[]): SubtreeCountRow {
  return rows.reduce(
    (a, r) => {
      for (const k of Object.keys(a) as (keyof SubtreeCountRow)[]) if (k !== 'child') (a[k] as number) += r[k] as number;
      return a;
    },
    {
      child: '',
      total: 0,
      evaluated: 0,
      confirmed: 0,
      registered: 0,
      done: 0,
      inProgress: 0,
      overdue: 0,
      unfinished: 0,
      members_total: 0,
      members_evaluated: 0,
      members_registered: 0,
    },
  );
}

function splitCounts(r: SubtreeCountRow): { branches: BranchCounts; members: MemberCounts } {
  const { child: _c, members_total, members_evaluated, members_registered, ...branches } = r;
  return { branches, members: { total: members_total, evaluated: members_evaluated, registered: members_registered } };
}

/** The latest extension of each phase per city, keyed `<cityId>:<phase>` (a handful of rows per campaign). */
export function latestExtensions(rows: readonly { org_id: string; phase: string; until: Due }[]): Map<string, Due> {
  const latest = new Map<string, Due>();
  for (const r of rows) {
    const key = `${r.org_id}:${r.phase}`;
    const before = latest.get(key);
    if (before === undefined || dueAt(r.until) > dueAt(before)) latest.set(key, r.until);
  }
  return latest;
}

interface ProgressOrg {
  id: string;
  kind: string;
  depth: number;
}

/**
 * R22: the progress of an organization's subtree from the rows of the subtree query: its phase, its counts, each
 * phase's share against its target and deadline (moved by its city's extension), and each child's, behind or not.
 */
export function subtreeProgress(a: {
  phases: CampaignPhases;
  org: ProgressOrg & { path: string };
  rows: SubtreeCountRow[];
  children: readonly (ProgressOrg & { name: string })[];
  cadres: { current: number; registered: number };
  extensions: Map<string, Due>;
  now: number;
}) {
  const { phases, org, now } = a;
  const city = pathIds(org.path)[1];
  const ext = (cityId: string | undefined, phase: Phase) => (cityId === undefined ? undefined : a.extensions.get(`${cityId}:${phase}`));
  const byId = new Map(a.rows.map((r) => [r.child, r]));
  const { branches, members } = splitCounts(sumCounts(a.rows));
  const childProgress = (c: ProgressOrg & { name: string }) => {
    const counts = splitCounts(byId.get(c.id)!);
    const childCity = city ?? c.id;
    const share = (phase: Phase) => {
      const plan = phases[phase];
      const s = shareOf(phase === 'evaluation' ? counts.branches.confirmed : counts.branches.done, counts.branches.total);
      const target = targetAt(plan.targets, now);
      return { share: s, behind: isBehind(s, counts.branches.total, target, phaseDeadline(plan, c, ext(childCity, phase)), now) };
    };
    return { orgId: c.id, name: c.name, kind: c.kind, ...counts, evaluation: share('evaluation'), registration: share('registration') };
  };
  return {
    orgId: org.id,
    phase: currentPhase(phases, branches, now, ext(city, 'evaluation')),
    branches,
    members,
    cadres: a.cadres,
    evaluation: phaseProgress(phases.evaluation, 'evaluation', branches, phaseDeadline(phases.evaluation, org, ext(city, 'evaluation')), now),
    registration: phaseProgress(phases.registration, 'registration', branches, phaseDeadline(phases.registration, org, ext(city, 'registration')), now),
    children: [...a.children].sort((x, y) => x.id.localeCompare(y.id)).map(childProgress),
  };
}
