// Graduate transfer statistics (R12), against the year's targets, and the open data problems of a subtree (R13, R21).
import { z } from 'zod';
import { sql } from 'kysely';
import { likePrefix, type Db } from '../../db';
import { authorize } from '../../domain/authz';
import type { Config } from '../../domain/config';
import { DomainError } from '../../domain/errors';
import { graduateBaseAt, targetInForce } from '../../domain/graduates';
import { OrgId } from '../../domain/orgs';
import type { Api, AppDeps } from '../deps';
import { errorResponses, iso, notFound, statisticsOrg } from '../schemas';

const GraduateStatistics = z.object({
  cohort: z.number(),
  asOf: z.string(),
  /** The day the cohort's graduates are counted; `fixed: false` while it has not passed (the base follows the roster until then). */
  base: z.object({ date: z.string(), fixed: z.boolean() }),
  target: z.object({ date: z.string(), share: z.number() }).nullable(),
  /** Every dated target of the cohort's year (R12: 30/60/80/100 % by default), the one in force among them. */
  targets: z.array(z.object({ date: z.string(), share: z.number() })),
  total: z.object({ graduates: z.number(), transferred: z.number(), deleted: z.number(), share: z.number() }),
  cities: z.array(
    z.object({
      orgId: z.string(),
      name: z.string(),
      graduates: z.number(),
      transferred: z.number(),
      deleted: z.number(),
      share: z.number(),
      behind: z.boolean(),
    }),
  ),
  schools: z.array(
    z.object({
      orgId: z.string(),
      name: z.string(),
      cityId: z.string(),
      graduates: z.number(),
      transferred: z.number(),
      deleted: z.number(),
      share: z.number(),
      behind: z.boolean(),
    }),
  ),
});

interface SchoolCounts {
  school_id: string | null;
  city_id: string;
  graduates: number;
  transferred: number;
  deleted: number;
}

/**
 * R12: the base is who belonged to a graduate branch of the cohort at the base instant, whatever became of
 * them: counting today's active graduates would let a deletion shrink it (the abuse R17 watches for).
 * Derived from the data rather than snapshotted by a process on the day: it holds for past cohorts, for a
 * system started after the date and for a changed date, and nothing can miss the day. Where a member was
 * at an instant: the destination of their last approved transfer before it, else the origin of their first
 * one after it, else their branch (kept on soft-deleted rows). In the league then: approved (locked_at)
 * before it, and not deleted (deleted_at), removed or expelled (their discipline event) before it.
 * Graduates transferred out before the base date count in it too, as transferred (an early school is not
 * behind). After the base date only the outcome moves: waiting, transferred or deleted.
 */
async function baseCounts(db: Db, orgPath: string, cohort: number, at: string): Promise<SchoolCounts[]> {
  const { rows } = await sql<SchoolCounts>`
    with g as (
      select id, parent_id, path from organizations
      where special_kind = 'graduate' and path like ${likePrefix(orgPath)}
        and graduation_date between ${`${cohort}-01-01`}::date and ${`${cohort}-12-31`}::date
    ),
    candidates as (
      select m.id from members m where m.branch_id in (select id from g)
      union
      select t.member_id from transfers t
      where t.graduate_cohort = ${cohort} and t.status = 'approved' and t.from_branch_id in (select id from g)
      union
      select t.member_id from transfers t where t.status = 'approved' and t.to_org_id in (select id from g)
    ),
    moves as (
      select t.member_id, t.direction, t.from_branch_id, t.to_org_id, t.completed_at from transfers t
      where t.status = 'approved' and t.member_id in (select id from candidates)
    ),
    last_before as (
      select distinct on (member_id) member_id, direction, to_org_id from moves
      where completed_at < ${at}::timestamptz order by member_id, completed_at desc
    ),
    first_after as (
      select distinct on (member_id) member_id, from_branch_id from moves
      where completed_at >= ${at}::timestamptz and direction <> 'inbound' order by member_id, completed_at
    ),
    at_base as (
      select m.id,
        case when lb.member_id is not null then (case when lb.direction = 'outbound' then null else lb.to_org_id end)
             when fa.member_id is not null then fa.from_branch_id
             else m.branch_id end as branch_id,
        fa.member_id is not null as transferred,
        fa.member_id is null and m.status = 'deleted' as deleted
      from members m
      join candidates c on c.id = m.id
      left join last_before lb on lb.member_id = m.id
      left join first_after fa on fa.member_id = m.id
      where m.locked_at < ${at}::timestamptz
        and (m.deleted_at is null or m.deleted_at >= ${at}::timestamptz)
        and (m.status not in ('removed', 'expelled')
          or (select max(e.occurred_at) from events e
              where e.member_id = m.id and e.type in ('discipline.sanction-applied', 'discipline.expelled')) >= ${at}::timestamptz)
    ),
    transferred_early as (
      select t.member_id as id, t.from_branch_id as branch_id, true as transferred, false as deleted from transfers t
      where t.graduate_cohort = ${cohort} and t.status = 'approved' and t.from_branch_id in (select id from g)
        and t.completed_at < ${at}::timestamptz
    ),
    counted as (
      select distinct on (x.id, x.branch_id) x.branch_id, x.transferred, x.deleted
      from (select * from at_base union all select * from transferred_early) x
      where x.branch_id in (select id from g)
      order by x.id, x.branch_id, x.transferred desc
    )
    select g.parent_id as school_id, split_part(g.path, '/', 2) as city_id, count(*)::int as graduates,
      (count(*) filter (where c.transferred))::int as transferred, (count(*) filter (where c.deleted))::int as deleted
    from counted c join g on g.id = c.branch_id
    group by 1, 2`.execute(db);
  return rows;
}

/** The counts per school, per city and in total, each with its share and whether it is behind the target in force. */
async function graduateStatistics(
  { db, config }: { db: Db; config: Config },
  rows: SchoolCounts[],
  { cohort, asOf, base }: { cohort: number; asOf: string; base: ReturnType<typeof graduateBaseAt> },
): Promise<z.infer<typeof GraduateStatistics>> {
  const ids = [...new Set(rows.flatMap((r) => [r.school_id ?? '', r.city_id]))].filter(Boolean);
  const names = new Map(
    (ids.length ? await db.selectFrom('organizations').select(['id', 'name']).where('id', 'in', ids).execute() : []).map((o) => [o.id, o.name]),
  );
  const target = targetInForce(config.graduateTargets, cohort, asOf);
  const share = (done: number, all: number) => (all === 0 ? 0 : Math.round((1000 * done) / all) / 10);
  const behind = (done: number, all: number) => target !== null && share(done, all) < target.share;
  type Counts = { graduates: number; transferred: number; deleted: number };
  const add = (a: Counts, b: Counts): Counts => ({
    graduates: a.graduates + b.graduates,
    transferred: a.transferred + b.transferred,
    deleted: a.deleted + b.deleted,
  });
  const zero: Counts = { graduates: 0, transferred: 0, deleted: 0 };
  const schools = rows.map((r) => ({
    id: r.school_id ?? '',
    cityId: r.city_id,
    graduates: Number(r.graduates),
    transferred: Number(r.transferred),
    deleted: Number(r.deleted),
  }));
  const cities = new Map<string, Counts>();
  for (const r of schools) cities.set(r.cityId, add(cities.get(r.cityId) ?? zero, r));
  const total = [...cities.values()].reduce(add, zero);
  return {
    cohort,
    asOf,
    base: { date: base.date, fixed: base.fixed },
    target,
    targets: config.graduateTargets.map((t) => ({ date: `${cohort}-${t.monthDay}`, share: t.share })),
    total: { ...total, share: share(total.transferred, total.graduates) },
    cities: [...cities.entries()]
      .map(([id, c]) => ({ orgId: id, name: names.get(id) ?? id, ...c, share: share(c.transferred, c.graduates), behind: behind(c.transferred, c.graduates) }))
      .sort((a, b) => a.orgId.localeCompare(b.orgId)),
    schools: schools
      .map((r) => ({
        orgId: r.id,
        name: names.get(r.id) ?? '',
        cityId: r.cityId,
        graduates: r.graduates,
        transferred: r.transferred,
        deleted: r.deleted,
        share: share(r.transferred, r.graduates),
        behind: behind(r.transferred, r.graduates),
      }))
      .sort((a, b) => a.orgId.localeCompare(b.orgId)),
  };
}

/** GET /stats/graduate-transfers (R12). */
function graduateStatisticsRoute(app: Api, { db, config }: AppDeps): void {
  app.get(
    '/stats/graduate-transfers',
    {
      schema: {
        summary:
          "R12: the share of a cohort's graduates transferred, per school and per city, against the year's targets; the base is every graduate on the base date, the deleted ones reported beside it",
        querystring: z.object({
          orgId: OrgId.optional(),
          cohort: z.coerce.number().int().min(2000).max(2100),
          asOf: z.iso.date().optional(),
        }),
        response: { 200: GraduateStatistics, ...errorResponses },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.query.orgId, 'stats.read');
      const { cohort } = req.query;
      const asOf = req.query.asOf ?? new Date().toISOString().slice(0, 10);
      const base = graduateBaseAt(cohort, config.graduateBaseDate, new Date());
      const rows = await baseCounts(db, org.path, cohort, base.at.toISOString());
      return graduateStatistics({ db, config }, rows, { cohort, asOf, base });
    },
  );
}

/** GET /data-problems (R13, R21). */
function dataProblemsRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/data-problems',
    {
      schema: {
        summary: "R13/R21: open data problems of organizations in the caller's subtree (e.g. a receiving branch without a contact phone)",
        querystring: z.object({ orgId: OrgId.optional() }),
        response: {
          200: z.object({
            items: z.array(
              z.object({
                orgId: z.string(),
                rule: z.string(),
                kind: z.string(),
                message: z.string(),
                occurrences: z.number(),
                firstSeen: z.string(),
                lastSeen: z.string(),
              }),
            ),
          }),
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const orgId = req.query.orgId ?? p.orgId;
      if (!orgId) throw DomainError.forbidden('data problems are for the admins of an organization');
      const org = await db.selectFrom('organizations').select('path').where('id', '=', orgId).executeTakeFirst();
      if (!org) notFound('organization');
      authorize(p, 'org.read', { orgPath: org.path });
      const rows = await db
        .selectFrom('data_problems')
        .selectAll()
        .where('org_path', 'like', likePrefix(org.path))
        .where('resolved_at', 'is', null)
        .orderBy('id')
        .limit(1000)
        .execute();
      return {
        items: rows.map((r) => ({
          orgId: r.org_id,
          rule: r.rule,
          kind: r.kind,
          message: r.message,
          occurrences: r.occurrences,
          firstSeen: iso(r.first_seen)!,
          lastSeen: iso(r.last_seen)!,
        })),
      };
    },
  );
}

/** The statistics routes of the transfers plugin (api/transfers/index.ts). */
export function statisticsRoutes(app: Api, deps: AppDeps): void {
  graduateStatisticsRoute(app, deps);
  dataProblemsRoute(app, deps);
}
