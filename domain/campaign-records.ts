// R22/R19: the rules a branch's writes to its task are checked against (its grades, its registrations) and an
// organization's registration of its cadres (团干部注册). Pure: the caller reads the members and cadres first.
import type { RegistrationDecision } from './campaign-plan';
import { DomainError, type FieldProblem } from './errors';

export const closedCampaign = () => DomainError.conflict('R22: the campaign is closed', 'R22');

/** Refuses the write with every problem found (422 naming each field), or lets it through. */
export function refuseAll(problems: FieldProblem[]): void {
  if (problems.length > 0) throw DomainError.rule(problems[0]!.rule ?? 'R22', problems.map((x) => `${x.field}: ${x.message}`).join('; '), problems);
}

/** How many of `items` have each of `values` (by `of`), in the order of `values`. */
export const countBy = <V extends string, I>(values: readonly V[], items: readonly I[], of: (i: I) => unknown) =>
  Object.fromEntries(values.map((v) => [v, items.filter((i) => of(i) === v).length])) as Record<V, number>;

export const REGISTRATION_DECISIONS = ['registered', 'deferred', 'refused'] as const satisfies readonly RegistrationDecision[];

const NOT_IN_BRANCH = 'not a member of this branch (active or on probation)';

/** R22: grades are recorded for the branch's own members only. */
export function gradeProblems(grades: readonly { memberId: string }[], memberIds: ReadonlySet<string>): FieldProblem[] {
  return grades.flatMap((g, i) => (memberIds.has(g.memberId) ? [] : [{ field: `body.grades.${i}.memberId`, rule: 'R22', message: NOT_IN_BRANCH }]));
}

/** R22/R19: the problems of a registration entry, given the member's grade and what they already have. */
export function entryProblems(
  e: { decision: RegistrationDecision; reason?: string | undefined; followUpOn?: string | undefined },
  i: number,
  m: { grade: string | null; decision: string | null; turns28: boolean } | undefined,
  step: string,
  today: string,
): FieldProblem[] {
  const at = `body.entries.${i}`;
  if (!m) return [{ field: `${at}.memberId`, rule: 'R22', message: NOT_IN_BRANCH }];
  const out: FieldProblem[] = [];
  if (step === 'follow-up' && m.decision !== 'deferred')
    out.push({
      field: `${at}.memberId`,
      rule: 'R22',
      message: 'at the follow-up step only members whose registration was deferred (暂缓注册) are decided again',
    });
  if (e.decision === 'registered' && m.turns28)
    out.push({ field: `${at}.decision`, rule: 'R19', message: 'the member turns 28 this year: not registered, they age out (超龄离团)' });
  if (e.decision === 'registered' && m.grade === 'unqualified' && !e.reason)
    out.push({ field: `${at}.reason`, rule: 'R22', message: 'a member graded 不合格 is registered (准予注册) only with a reason' });
  if (e.followUpOn !== undefined && e.followUpOn <= today)
    out.push({ field: `${at}.followUpOn`, rule: 'R22', message: `the follow-up date is after today (${today})` });
  return out;
}

/** R22 (团干部注册): an organization registers its own current cadres only (the R8 registry, term not ended). */
export function cadreProblems(cadreIds: readonly string[], current: ReadonlySet<string>): FieldProblem[] {
  return cadreIds.flatMap((id, i) =>
    current.has(id) ? [] : [{ field: `body.cadreIds.${i}`, rule: 'R22', message: 'not a current cadre of this organization (R8 registry, term not ended)' }],
  );
}
