// R25's invariants as the daily check reads them over the whole read model (workflows/invariant-check.ts): their
// names (the gauge's label, the data problems' kinds) and the messages a province reads. No zod and no I/O here:
// the workflow imports this module, and its bundle stays free of both.

/**
 * The invariants, in the order the check runs them:
 * - open-process-after-leaving: a process still open (closed_at null) on a member who left;
 * - effect-not-shown: a process closed `approved` whose effect the member record does not show, and no later event
 *   of another process (or of no process, an age-out) on that member can explain the difference;
 * - member-without-branch: an active or probation member with no branch, or whose branch_id is not a branch;
 * - post-after-leaving: a post not ended and whose term has not passed, held (by ID number) by a member who left;
 * - rollup-recount: a campaign_rollups row that differs from a recount of campaign_tasks (or a parent missing).
 */
export const INVARIANTS = ['open-process-after-leaving', 'effect-not-shown', 'member-without-branch', 'post-after-leaving', 'rollup-recount'] as const;
export type Invariant = (typeof INVARIANTS)[number];

/** Every violation is told as a data problem under this rule. */
export const INVARIANT_RULE = 'R25';

/** The data problem's kind: one open problem per invariant and key, so each violation is told once (data_problems_open). */
export function invariantProblemKind(invariant: Invariant, key: string): string {
  return `${invariantKindPrefix(invariant)}${key}`;
}

/** The common beginning of an invariant's problem kinds (the check clears the ones it no longer finds by range). */
export function invariantKindPrefix(invariant: Invariant): string {
  return `r25:${invariant}:`;
}

/** One violation as a query finds it: its key (a process, member, cadre id, or campaign:parent path) and what it is. */
export interface Violation {
  invariant: Invariant;
  key: string;
  /** The province (root organization) told of it. */
  provinceId: string;
  /** What a reader needs to find and fix it: ids and statuses only, never a name or an ID number. */
  detail: Record<string, string | number | null>;
}

/** The message of a violation's data problem: ids and statuses, never personal data (ID numbers stay out of notices). */
export function violationMessage(v: Violation): string {
  const d = v.detail;
  switch (v.invariant) {
    case 'open-process-after-leaving':
      return `process ${d.processId} (${d.kind}) is still open on member ${d.memberId}, who left (${d.status})`;
    case 'effect-not-shown':
      return `process ${d.processId} (${d.kind}) closed approved, but member ${d.memberId} is ${d.status} in ${d.branchId ?? 'no branch'} (expected ${d.expected})`;
    case 'member-without-branch':
      return `member ${d.memberId} is ${d.status} but ${d.branchId === null ? 'has no branch' : `its branch ${d.branchId} is ${d.branchKind ?? 'not an organization'}`}`;
    case 'post-after-leaving':
      return `post ${d.cadreId} (${d.role}) at ${d.orgId} is current, but its holder, member ${d.memberId}, left (${d.status})`;
    case 'rollup-recount':
      return `campaign ${d.campaignId}: the rollup of ${d.parentPath} differs from a recount of its tasks (${d.differs})`;
  }
}

/** What one check found, per invariant (the gauge's values). */
export type InvariantCounts = Record<Invariant, number>;

export const NO_VIOLATIONS: InvariantCounts = {
  'open-process-after-leaving': 0,
  'effect-not-shown': 0,
  'member-without-branch': 0,
  'post-after-leaving': 0,
  'rollup-recount': 0,
};
