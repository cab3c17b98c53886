// R21 organization health from the read model: one query computes every organization's problems over a set of
// organizations (a subtree for the API, a page of ids for the daily check, activities/health.ts), so both count the
// same way. Per organization it probes indexes only: a branch below (organizations_branch_path), an active member
// (members_branch), a current secretary (cadres_one_secretary), late entries (members_late_entry).
import { sql, type RawBuilder } from 'kysely';
import { likePrefix, type Db, type Tx } from '../index';
import type { HealthCounts, HealthItem, HealthKind } from '../../domain/health';
import { officeDay } from '../../domain/office-day';
import { currentPost } from './cadres';

export interface FactsRow {
  id: string;
  name: string;
  kind: string;
  path: string;
  hollow: boolean;
  empty: boolean;
  no_secretary: boolean;
  no_phone: boolean;
  late: number;
  /** R20's fields missing or invalid, `field: missing|invalid` joined by "; " (domain/health.ts INVALID_DATA_FIELDS). */
  invalid: string;
}

export const ORG_COLUMNS = sql`id, parent_id, path, kind, name, special_kind, contact_phone, credit_code, industry_category, school_type, graduation_date`;

/**
 * `facts`: one row per organization of `sub` (a select of ORG_COLUMNS from organizations) with its problems, on the
 * office day `today` (R8/R25: a secretary counts only while the post is current, db/queries/cadres.ts).
 */
export function withFacts(sub: RawBuilder<unknown>, today: string = officeDay()): RawBuilder<unknown> {
  return sql`
    with sub as (${sub}),
    facts as (
      select s.id, s.name, s.kind, s.path,
        (s.kind <> 'branch' and not exists (
          select 1 from organizations b where b.kind = 'branch' and b.path ~>=~ s.path and b.path ~<~ (s.path || '~'))) as hollow,
        (s.kind = 'branch' and not exists (select 1 from members m where m.branch_id = s.id and m.status = 'active')) as empty,
        (s.kind = 'branch' and not exists (
          select 1 from cadres c where c.org_id = s.id and c.role = 'secretary' and ${currentPost('c', today)})) as no_secretary,
        (s.kind = 'branch' and s.contact_phone is null) as no_phone,
        (case when s.kind = 'branch' then (select count(*) from members m where m.branch_id = s.id and m.late_entry) else 0 end)::int as late,
        concat_ws('; ',
          case when s.kind <> 'branch' and s.contact_phone is null then 'contactPhone: missing' end,
          case when s.credit_code is not null and not tuanwu_credit_code_valid(s.credit_code) then 'creditCode: invalid'
               when s.credit_code is null and s.kind = 'committee' then 'creditCode: missing' end,
          case when s.kind = 'committee' and s.school_type is null
                 and (s.industry_category ~ '(^P([0-9]|\\s|$)|教育)'
                      or exists (select 1 from organizations g where g.parent_id = s.id and g.special_kind = 'graduate'))
               then 'schoolType: missing' end,
          case when s.special_kind = 'graduate' and s.graduation_date is null then 'graduationDate: missing' end) as invalid
      from sub s
    )`;
}

/** Which rows of `facts` a list keeps. */
const LIST_WHERE: Record<HealthKind, RawBuilder<unknown>> = {
  'hollow-committee': sql`hollow`,
  'empty-branch': sql`empty`,
  'no-secretary': sql`no_secretary`,
  'no-phone': sql`no_phone`,
  'invalid-data': sql`invalid <> ''`,
  'late-entry': sql`late > 0`,
};

/** The problems of one organization's facts, as the lists name them. */
export function problemsOf(r: FactsRow): HealthKind[] {
  const has: Record<HealthKind, boolean> = {
    'hollow-committee': r.hollow,
    'empty-branch': r.empty,
    'no-secretary': r.no_secretary,
    'no-phone': r.no_phone,
    'invalid-data': r.invalid !== '',
    'late-entry': r.late > 0,
  };
  return (Object.keys(has) as HealthKind[]).filter((k) => has[k]);
}

const subtree = (path: string) => sql`select ${ORG_COLUMNS} from organizations where path like ${likePrefix(path)}`;

/** R21: the one query of a subtree's counts (the organization at `path` included); the bench explains it. */
export function healthCountsQuery(path: string): RawBuilder<HealthCounts> {
  return sql<HealthCounts>`${withFacts(subtree(path))}
    select count(*) filter (where hollow)::int as "hollowCommittees",
      count(*) filter (where empty)::int as "emptyBranches",
      count(*) filter (where no_secretary)::int as "branchesWithoutSecretary",
      count(*) filter (where no_phone)::int as "branchesWithoutPhone",
      count(*) filter (where invalid <> '')::int as "invalidData",
      coalesce(sum(late), 0)::int as "lateEntries"
    from facts`;
}

/**
 * Runs a health query with PostgreSQL's JIT off. The query is thousands of index probes whose summed estimate
 * passes jit_above_cost, and compiling it took longer (≈ 180 ms on a city of the bench) than running it.
 */
export function withoutJit<T>(db: Db, run: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (tx) => {
    await sql`set local jit = off`.execute(tx);
    return run(tx);
  });
}

/** R21: the counts of a subtree, in one query. */
export async function healthCounts(db: Db, path: string): Promise<HealthCounts> {
  const { rows } = await withoutJit(db, (tx) => healthCountsQuery(path).execute(tx));
  return rows[0]!;
}

/** R21: one page of a subtree's organizations with the problem `kind`, by organization id after `after`. */
export async function healthList(
  db: Db,
  path: string,
  kind: HealthKind,
  page: { after?: string; limit: number },
): Promise<{ items: HealthItem[]; next: string | null }> {
  // Only the columns the list shows: the other problems' probes are then not run at all.
  const detail = kind === 'invalid-data' ? sql`, invalid` : kind === 'late-entry' ? sql`, late` : sql``;
  const query = sql<Pick<FactsRow, 'id' | 'name' | 'kind' | 'path' | 'invalid' | 'late'>>`${withFacts(subtree(path))}
    select id, name, kind, path ${detail} from facts
    where ${LIST_WHERE[kind]} ${page.after !== undefined ? sql`and id > ${page.after}` : sql``}
    order by id
    limit ${page.limit + 1}`;
  const { rows } = await withoutJit(db, (tx) => query.execute(tx));
  const items = rows.slice(0, page.limit).map((r) => ({
    orgId: r.id,
    name: r.name,
    kind: r.kind,
    path: r.path,
    ...(kind === 'invalid-data' ? { detail: r.invalid } : kind === 'late-entry' ? { detail: `${r.late} late entries` } : {}),
  }));
  return { items, next: rows.length > page.limit ? items.at(-1)!.orgId : null };
}
