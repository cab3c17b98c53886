// R25's invariants as set-based SQL over the whole read model (domain/invariants.ts names them). Each query reads its
// tables once (hash joins, no per-member probes except on the few rows that already look wrong) and returns one
// keyset page of violations, ordered by key in byte order ("C"), so that the check can clear the problems of a key
// range it no longer finds. A scope is a province's path: only what lies in that province is read (tests keep to
// their own tree).
import { sql, type RawBuilder } from 'kysely';
import { likePrefix, type Db } from '../index';
import type { Invariant } from '../../domain/invariants';
import { LEFT_STATUSES } from '../../domain/member-transitions';
import { currentPost } from './cadres';

export interface InvariantQuery {
  /** A province's path ("gd/"); the whole read model when absent. */
  scopePath?: string;
  /** The last key of the previous page; null for the first. */
  after: string | null;
  limit: number;
  /** The offices' day (YYYY-MM-DD): a post whose term ended before it is not current (R25). */
  today: string;
}

export interface ViolationRow {
  key: string;
  /** The root organization of the place the violation lies in (null: no place known, the default province is told). */
  province_id: string | null;
  detail: Record<string, string | number | null>;
}

const left = sql.join(LEFT_STATUSES.map((s) => sql.lit(s)));

/**
 * Rows `(key, anchor, detail)` of one invariant, `anchor` being the path the violation lies in (it gives the
 * province and the scope).
 */
const VIOLATIONS: Record<Invariant, (q: InvariantQuery) => RawBuilder<unknown>> = {
  // A process open on a member who left: the open ones are few (partial index processes_open), each joined to its member.
  'open-process-after-leaving': () => sql`
    select p.id::text as key, coalesce(o.path, p.org_path) as anchor,
      jsonb_build_object('processId', p.id, 'kind', p.kind, 'memberId', m.id, 'status', m.status) as detail
    from processes p
    join members m on m.id = p.member_id
    left join organizations o on o.id = m.branch_id
    where p.closed_at is null and m.status in (${left})`,

  // Approved, yet the record does not show it; excused (conservatively) by any later event on the member from another
  // process or from none (an age-out), other than a profile edit (R6) or a deadline's reminder, which change no status.
  'effect-not-shown': () => sql`
    with approved as (
      select t.process_id, 'transfer' as kind, t.member_id,
        case when t.direction = 'outbound' then 'transferred_out' else 'active in ' || coalesce(t.to_org_id, '?') end as expected
      from transfers t join members m on m.id = t.member_id
      where t.status = 'approved'
        and case when t.direction = 'outbound' then m.status <> 'transferred_out'
                 else not (m.status in ('active', 'probation') and m.branch_id is not distinct from t.to_org_id) end
      union all
      select d.process_id, 'deletion', d.member_id, 'deleted'
      from deletions d join members m on m.id = d.member_id
      where d.status = 'approved' and m.status <> 'deleted'
      union all
      select p.id, 'check-in', p.member_id, 'active or probation'
      from processes p join members m on m.id = p.member_id
      where p.kind = 'check-in' and p.status = 'approved' and m.status not in ('active', 'probation')
    )
    select a.process_id::text as key, coalesce(p.org_path, o.path) as anchor,
      jsonb_build_object('processId', a.process_id, 'kind', a.kind, 'memberId', m.id, 'status', m.status, 'branchId', m.branch_id,
        'expected', a.expected) as detail
    from approved a
    join members m on m.id = a.member_id
    left join processes p on p.id = a.process_id
    left join organizations o on o.id = m.branch_id
    where not exists (
      select 1 from events e
      where e.member_id = a.member_id
        and e.process_id is distinct from a.process_id
        and e.type <> 'member.updated' and e.type not like 'deadline.%'
        and e.occurred_at >= coalesce((select max(c.occurred_at) from events c where c.process_id = a.process_id), p.closed_at, '-infinity'))`,

  // The place of a member without a branch: the last process on them, else the organization of their last event.
  'member-without-branch': () => sql`
    select m.id::text as key,
      coalesce(o.path,
        (select p.org_path from processes p where p.member_id = m.id order by p.started_at desc limit 1),
        (select eo.path from events e join organizations eo on eo.id = e.org_id where e.member_id = m.id order by e.id desc limit 1)) as anchor,
      jsonb_build_object('memberId', m.id, 'status', m.status, 'branchId', m.branch_id, 'branchKind', o.kind) as detail
    from members m
    left join organizations o on o.id = m.branch_id
    where m.status in ('active', 'probation') and (o.id is null or o.kind <> 'branch')`,

  // A post not ended and within its term that is not current (db/queries/cadres.ts, the one definition) only because its
  // holder (linked by ID number, R8) left: R25 says the post ends when the member leaves.
  'post-after-leaving': (q) => sql`
    select c.id::text as key, c.org_path as anchor,
      jsonb_build_object('cadreId', c.id, 'role', c.role, 'orgId', c.org_id, 'memberId', m.id, 'status', m.status) as detail
    from cadres c
    join members m on m.id_number = c.id_number
    where c.ended_at is null and (c.term_end is null or c.term_end >= ${q.today}::date) and not ${currentPost('c', q.today)}`,

  // migration 0010: a rollup is the counts of its parent's tasks; a parent with tasks and no rollup, or a rollup whose
  // tasks are gone, differs too.
  'rollup-recount': () => sql`
    with recount as (
      select t.campaign_id, t.parent_path, count(*)::int as total, count(t.evaluated_at)::int as evaluated,
        count(t.confirmed_at)::int as confirmed, count(t.registered_at)::int as registered,
        (count(*) filter (where t.step = 'done'))::int as done,
        (count(*) filter (where t.step not in ('done', 'unfinished')))::int as in_progress,
        (count(*) filter (where t.overdue and t.step not in ('done', 'unfinished')))::int as overdue,
        (count(*) filter (where t.step = 'unfinished'))::int as unfinished,
        sum(t.members_total)::int as members_total, sum(t.members_evaluated)::int as members_evaluated,
        sum(t.members_registered)::int as members_registered
      from campaign_tasks t group by t.campaign_id, t.parent_path
    ),
    compared as (
      select coalesce(r.campaign_id, c.campaign_id) as campaign_id, coalesce(r.parent_path, c.parent_path) as parent_path,
        case when r.campaign_id is null then 'no rollup' else concat_ws(', ',
          case when r.total <> coalesce(c.total, 0) then 'total' end,
          case when r.evaluated <> coalesce(c.evaluated, 0) then 'evaluated' end,
          case when r.confirmed <> coalesce(c.confirmed, 0) then 'confirmed' end,
          case when r.registered <> coalesce(c.registered, 0) then 'registered' end,
          case when r.done <> coalesce(c.done, 0) then 'done' end,
          case when r.in_progress <> coalesce(c.in_progress, 0) then 'in_progress' end,
          case when r.overdue <> coalesce(c.overdue, 0) then 'overdue' end,
          case when r.unfinished <> coalesce(c.unfinished, 0) then 'unfinished' end,
          case when r.members_total <> coalesce(c.members_total, 0) then 'members_total' end,
          case when r.members_evaluated <> coalesce(c.members_evaluated, 0) then 'members_evaluated' end,
          case when r.members_registered <> coalesce(c.members_registered, 0) then 'members_registered' end) end as differs
      from campaign_rollups r
      full join recount c on c.campaign_id = r.campaign_id and c.parent_path = r.parent_path
    )
    select campaign_id::text || ':' || parent_path as key, parent_path as anchor,
      jsonb_build_object('campaignId', campaign_id, 'parentPath', parent_path, 'differs', differs) as detail
    from compared where differs <> ''`,
};

/** One page of an invariant's violations (by key, after `q.after`), with the province each is told to. */
export function invariantViolationsQuery(invariant: Invariant, q: InvariantQuery): RawBuilder<ViolationRow> {
  return sql<ViolationRow>`
    select v.key, coalesce(split_part(v.anchor, '/', 1), (select id from organizations where parent_id is null order by id limit 1)) as province_id,
      v.detail
    from (${VIOLATIONS[invariant](q)}) v
    where true
      ${q.scopePath !== undefined ? sql`and v.anchor like ${likePrefix(q.scopePath)}` : sql``}
      ${q.after !== null ? sql`and v.key collate "C" > ${q.after}` : sql``}
    order by v.key collate "C"
    limit ${q.limit}`;
}

/** One page of an invariant's violations; JIT off, as the health check (its compile time outweighs these scans). */
export async function invariantViolations(db: Db, invariant: Invariant, q: InvariantQuery): Promise<ViolationRow[]> {
  return db.transaction().execute(async (tx) => {
    await sql`set local jit = off`.execute(tx);
    return (await invariantViolationsQuery(invariant, q).execute(tx)).rows;
  });
}

/** Of these data problem kinds, the ones still open (told already). */
export async function openProblemKinds(db: Db, kinds: string[]): Promise<Set<string>> {
  if (kinds.length === 0) return new Set();
  const rows = await db.selectFrom('data_problems').select('kind').where('kind', 'in', kinds).where('resolved_at', 'is', null).execute();
  return new Set(rows.map((r) => r.kind));
}

/**
 * Resolves the open problems of an invariant (kinds `prefix || key`) whose key lies in the page's range (after `after`,
 * up to `last`, or to the end when `last` is null) and that the page did not find: the violation went away, and if
 * it comes back it is told again.
 */
export async function resolveGoneProblems(
  db: Db,
  p: { prefix: string; after: string | null; last: string | null; found: string[]; scopePath?: string },
): Promise<number> {
  const r = await sql`update data_problems set resolved_at = now()
    where resolved_at is null and rule = 'R25' and kind like ${likePrefix(p.prefix)}
      ${p.after !== null ? sql`and kind collate "C" > ${p.prefix + p.after}` : sql``}
      ${p.last !== null ? sql`and kind collate "C" <= ${p.prefix + p.last}` : sql``}
      and kind <> all(${p.found}::text[])
      ${p.scopePath !== undefined ? sql`and org_path like ${likePrefix(p.scopePath)}` : sql``}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
