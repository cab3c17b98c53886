// Disciplinary handling (R18): what the API resolves for a decision on a case (a case starts in
// temporal/discipline-start.ts, shared with the dues check).
import { sql } from 'kysely';
import type { Db } from '../db';
import type { ProcessRow } from '../db/schema';
import type { Principal } from '../domain/authz';
import { DomainError } from '../domain/errors';
import type { DecisionBody, DecisionCommand } from '../domain/processes';

/** R18: dues paid in full (every month from the last six complete ones, since activation) before the decision. */
async function duesPaidInFull(db: Db, memberId: string, now = new Date()): Promise<boolean> {
  const r = await sql<{ missing: number }>`
    with m as (select date_trunc('month', coalesce(locked_at, created_at)) as since from members where id = ${memberId}),
    months as (
      select generate_series(
        greatest((select since from m), date_trunc('month', ${now}::timestamptz) - interval '6 months'),
        date_trunc('month', ${now}::timestamptz) - interval '1 month',
        interval '1 month') as month
    )
    select count(*)::int as missing from months
    where not exists (select 1 from dues_payments p where p.member_id = ${memberId} and p.month = months.month::date)`.execute(db);
  return (r.rows[0]?.missing ?? 1) === 0;
}

/** For a decision on a case: the step the caller saw, the caller's role; "resolve" only once dues are paid in full. */
export async function prepareDisciplineDecision(db: Db, row: ProcessRow, body: DecisionBody, p: Principal): Promise<Partial<DecisionCommand>> {
  if (body.action === 'resolve' && !(await duesPaidInFull(db, row.member_id!))) {
    throw DomainError.rule('R18', 'the dues are not paid in full: the case cannot be closed as resolved', [
      { field: 'body.action', message: 'unpaid months remain', rule: 'R18' },
    ]);
  }
  return { step: row.step, actorRole: p.role, ...(body.toStep ? { toStep: body.toStep } : {}) };
}
