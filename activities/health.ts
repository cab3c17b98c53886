// R21 organization health from the read model: one query computes every organization's problems over a set of
// organizations (a subtree for the API, a page of ids for the daily check), so both count the same way. Per
// organization it probes indexes only: a branch below (organizations_branch_path), an active member
// (members_branch), a current secretary (cadres_one_secretary), late entries (members_late_entry).
// The daily check (workflows/health-check.ts) notifies each committee above a problem once (health_notices),
// and forgets the notices of problems that went away, so that a problem that comes back is new again.
import { sql, type RawBuilder } from 'kysely';
import { likePrefix, type Db, type Tx } from '../db';
import { healthMessage, NOTIFIED_KINDS, type HealthCounts, type HealthItem, type HealthKind } from '../domain/health';
import { pathIds } from '../domain/orgs';
import { officeDay } from '../domain/office-day';
import { currentPost } from '../db/queries/cadres';
import type { ActivityDeps } from '../worker/index';

interface FactsRow {
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

const ORG_COLUMNS = sql`id, parent_id, path, kind, name, special_kind, contact_phone, credit_code, industry_category, school_type, graduation_date`;

/**
 * `facts`: one row per organization of `sub` (a select of ORG_COLUMNS from organizations) with its problems, on the
 * office day `today` (R8/R25: a secretary counts only while the post is current, db/queries/cadres.ts).
 */
function withFacts(sub: RawBuilder<unknown>, today: string = officeDay()): RawBuilder<unknown> {
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
function problemsOf(r: FactsRow): HealthKind[] {
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

export interface HealthPageInput {
  /** The instant the check began: the same for every page of one check (it keys the notifications). */
  asOf: string;
  /** The last organization id of the previous page; null for the first. */
  after: string | null;
  /** Only this subtree (the whole province when absent). */
  orgPath?: string;
  limit?: number;
}

export interface HealthPage {
  organizations: number;
  problems: number;
  notified: number;
  /** Notices forgotten because their problem went away. */
  cleared: number;
  /** The last organization id of a full page: pass it as `after`; null at the end. */
  next: string | null;
}

/** Organizations are checked a page at a time, so a province never travels in one activity result. */
export const HEALTH_PAGE = 200;

/** Each problem and the committees above its organization, the ones to tell. */
async function recipientsOf(db: Db, problems: { org: FactsRow; kind: HealthKind }[]) {
  const above = [...new Set(problems.flatMap((p) => pathIds(p.org.path).slice(0, -1)))];
  const committees = new Set(
    above.length === 0
      ? []
      : (await db.selectFrom('organizations').select('id').where('id', 'in', above).where('kind', '=', 'committee').execute()).map((c) => c.id),
  );
  return problems.flatMap((p) =>
    pathIds(p.org.path)
      .slice(0, -1)
      .filter((id) => committees.has(id))
      .map((recipient) => ({ ...p, recipient })),
  );
}

export function createHealthActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * R21, one page of the daily check: the problems of the next `limit` organizations (by id), each told once to
     * every committee above it (a health_notices row; its notification only when the row is new, in the same
     * transaction, so a retry tells no one twice); the notices of these organizations' problems that went away
     * are deleted, so the problem is new again if it comes back.
     */
    async checkHealthPage(input: HealthPageInput): Promise<HealthPage> {
      const limit = Math.min(Math.max(input.limit ?? HEALTH_PAGE, 1), 1000);
      const page = sql`select ${ORG_COLUMNS} from organizations
        where true ${input.orgPath ? sql`and path like ${likePrefix(input.orgPath)}` : sql``}
          ${input.after !== null ? sql`and id > ${input.after}` : sql``}
        order by id limit ${limit}`;
      const { rows } = await withoutJit(db, (tx) => sql<FactsRow>`${withFacts(page)} select * from facts order by id`.execute(tx));
      const problems = rows.flatMap((org) => problemsOf(org).flatMap((kind) => (NOTIFIED_KINDS.includes(kind) ? [{ org, kind }] : [])));
      const notices = await recipientsOf(db, problems);
      const { notified, cleared } = await db.transaction().execute(async (tx) => {
        const gone = await sql`delete from health_notices h
          where h.org_id = any(${rows.map((r) => r.id)}::text[])
            and not exists (select 1 from unnest(${problems.map((p) => p.org.id)}::text[], ${problems.map((p) => p.kind)}::text[]) as c(org_id, kind)
                            where c.org_id = h.org_id and c.kind = h.kind)`.execute(tx);
        const told = await sql`with fresh as (
            insert into health_notices (org_id, kind, recipient_org_id)
            select * from unnest(${notices.map((n) => n.org.id)}::text[], ${notices.map((n) => n.kind)}::text[], ${notices.map((n) => n.recipient)}::text[])
            on conflict do nothing
            returning org_id, kind, recipient_org_id)
          insert into notifications (idempotency_key, recipient_org_id, kind, process_id, message)
          select 'health:' || ${input.asOf} || ':' || f.org_id || ':' || f.kind || ':' || f.recipient_org_id, f.recipient_org_id, 'data-problem', null, m.message
          from fresh f
          join unnest(${problems.map((p) => p.org.id)}::text[], ${problems.map((p) => p.kind)}::text[], ${problems.map((p) => healthMessage(p.kind, p.org))}::text[])
            as m(org_id, kind, message) on m.org_id = f.org_id and m.kind = f.kind
          on conflict (idempotency_key) do nothing`.execute(tx);
        return { notified: Number(told.numAffectedRows ?? 0), cleared: Number(gone.numAffectedRows ?? 0) };
      });
      return { organizations: rows.length, problems: problems.length, notified, cleared, next: rows.length === limit ? rows.at(-1)!.id : null };
    },
  };
}

export type HealthActivities = ReturnType<typeof createHealthActivities>;
