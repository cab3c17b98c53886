// Graduate transfer statistics (R12), against the year's targets, and the open data problems of a subtree (R13, R21).
import { sql } from 'kysely';
import { likePrefix, type Db } from '../../db';
import { randomUUID } from 'node:crypto';
import { authorize, isAllowed, relationOf } from '../../domain/authz';
import type { Config } from '../../domain/config';
import { DomainError } from '../../domain/errors';
import { graduateBaseAt, targetInForce } from '../../domain/graduates';
import { officeDay, officeDayEnd } from '../../domain/calendar';
import type { Api, AppDeps } from '../deps';
import { errorResponses, iso, notFound, statisticsOrg } from '../schemas';
import { BaseCorrected, BaseCorrection, DataProblems, GraduateStatistics, GraduateStatisticsQuery, OrgQuery } from '../../contract/transfers';

interface SchoolCounts {
  school_id: string | null;
  city_id: string;
  graduates: number;
  transferred: number;
  deleted: number;
}

/**
 * R12: the base is who belonged to a graduate branch of the cohort at the base instant `at`, whatever became of
 * them: counting today's active graduates would let a deletion shrink it (the abuse R17 watches for).
 * Derived from the data as of that instant rather than snapshotted by a process on the day: it holds for past
 * cohorts, for a system started after the date and for a changed date, and nothing can miss the day.
 * - Which branches were the cohort's graduate branches: their special kind and graduation date as of `at` (a
 *   later `org.updated` event names the value it replaced), so a later PATCH by the school changes nothing.
 * - Where a member was at `at`: the destination of their last approved transfer before it, else the origin of
 *   their first one after it, else their branch (kept on soft-deleted rows). In the league then: approved
 *   (locked_at) before it, and not deleted (deleted_at), removed or expelled (their discipline event) before it.
 * - Graduates transferred out before the base date count in it too, as transferred (an early school is not behind).
 * - `until` (the end of asOf) bounds every count: transfers completed, deletions and corrections of the base
 *   (graduate_base_corrections, by a committee above the school) recorded before it.
 */
async function baseCounts(db: Db, orgPath: string, cohort: number, at: string, until: string): Promise<SchoolCounts[]> {
  const { rows } = await sql<SchoolCounts>`
    with edits as (
      select distinct on (e.org_id, f.key) e.org_id, f.key, f.value->>'old' as old
      from events e cross join lateral jsonb_each(e.payload->'changes') f
      where e.type = 'org.updated' and e.occurred_at >= ${at}::timestamptz and f.key in ('specialKind', 'graduationDate')
      order by e.org_id, f.key, e.occurred_at, e.id
    ),
    g as (
      select o.id, o.parent_id, o.path from organizations o
      left join edits sk on sk.org_id = o.id and sk.key = 'specialKind'
      left join edits gd on gd.org_id = o.id and gd.key = 'graduationDate'
      where o.path like ${likePrefix(orgPath)}
        and (case when sk.org_id is not null then sk.old else o.special_kind end) = 'graduate'
        and (case when gd.org_id is not null then gd.old::date else o.graduation_date end)
          between ${`${cohort}-01-01`}::date and ${`${cohort}-12-31`}::date
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
      select distinct on (member_id) member_id, from_branch_id, completed_at from moves
      where completed_at >= ${at}::timestamptz and direction <> 'inbound' order by member_id, completed_at
    ),
    at_base as (
      select m.id,
        case when lb.member_id is not null then (case when lb.direction = 'outbound' then null else lb.to_org_id end)
             when fa.member_id is not null then fa.from_branch_id
             else m.branch_id end as branch_id,
        coalesce(fa.completed_at < ${until}::timestamptz, false) as transferred,
        not coalesce(fa.completed_at < ${until}::timestamptz, false) and m.status = 'deleted' and m.deleted_at < ${until}::timestamptz as deleted
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
    found as (
      select distinct on (x.id, g.parent_id) x.id, g.parent_id as school_id, g.path, x.transferred, x.deleted
      from (select * from at_base union all select * from transferred_early) x
      join g on g.id = x.branch_id
      order by x.id, g.parent_id, x.transferred desc
    ),
    -- R12: the last correction of each school and member recorded before the end of asOf decides: added or removed.
    corrected as (
      select distinct on (c.school_id, c.member_id) c.school_id, c.member_id, c.change
      from graduate_base_corrections c join organizations s on s.id = c.school_id
      where c.cohort = ${cohort} and c.occurred_at < ${until}::timestamptz and s.path like ${likePrefix(orgPath)}
      order by c.school_id, c.member_id, c.occurred_at desc, c.id
    ),
    added as (
      select c.member_id as id, c.school_id, s.path,
        exists (select 1 from transfers t where t.member_id = c.member_id and t.status = 'approved' and t.direction <> 'inbound'
          and t.completed_at < ${until}::timestamptz) as transferred,
        m.status = 'deleted' and m.deleted_at < ${until}::timestamptz as deleted
      from corrected c join organizations s on s.id = c.school_id join members m on m.id = c.member_id
      where c.change = 'add' and not exists (select 1 from found f where f.id = c.member_id and f.school_id = c.school_id)
    ),
    counted as (
      select f.school_id, f.path, f.transferred, f.deleted from found f
      where not exists (select 1 from corrected c where c.change = 'remove' and c.member_id = f.id and c.school_id = f.school_id)
      union all
      select a.school_id, a.path, a.transferred and not a.deleted, a.deleted and not a.transferred from added a
    )
    select school_id, split_part(path, '/', 2) as city_id, count(*)::int as graduates,
      (count(*) filter (where transferred))::int as transferred, (count(*) filter (where deleted))::int as deleted
    from counted
    group by 1, 2`.execute(db);
  return rows;
}

/** The counts per school, per city and in total, each with its share and whether it is behind the target in force. */
async function graduateStatistics(
  { db, config }: { db: Db; config: Config },
  rows: SchoolCounts[],
  { cohort, asOf, base }: { cohort: number; asOf: string; base: ReturnType<typeof graduateBaseAt> },
): Promise<GraduateStatistics> {
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
        querystring: GraduateStatisticsQuery,
        response: { 200: GraduateStatistics, ...errorResponses },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.query.orgId, 'stats.read');
      const { cohort } = req.query;
      const now = new Date();
      // asOf is an office day (today when left out); it bounds every count at its end, or now while it runs.
      const asOf = req.query.asOf ?? officeDay(now);
      const until = new Date(Math.min(officeDayEnd(asOf), now.getTime()));
      const base = graduateBaseAt(cohort, config.graduateBaseDate, until);
      const rows = await baseCounts(db, org.path, cohort, base.at.toISOString(), until.toISOString());
      return graduateStatistics({ db, config }, rows, { cohort, asOf, base });
    },
  );
}

/**
 * POST /stats/graduate-transfers/base-corrections (R12): the base is not recomputed from today's organization data;
 * it is corrected by its own record and event, by a committee above the school (not the school, whose rate it is),
 * with a reason. The last correction of a school and member decides.
 */
function baseCorrectionRoute(app: Api, { db }: AppDeps): void {
  app.post(
    '/stats/graduate-transfers/base-corrections',
    {
      schema: {
        summary: "R12: a committee above a school corrects a cohort's base (a graduate added or removed), with a reason",
        body: BaseCorrection,
        response: { 201: BaseCorrected, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = req.principal;
      const b = req.body;
      const school = await db.selectFrom('organizations').select(['id', 'path', 'kind']).where('id', '=', b.schoolId).executeTakeFirst();
      if (!school) notFound('organization');
      // R12: the school reports the rate the base measures; only a committee above it corrects the base.
      if (!isAllowed(p, 'stats.read', { orgPath: school.path }) || relationOf(p.orgPath, school.path) !== 'ancestor')
        throw DomainError.forbidden("a cohort's base is corrected by a committee above the school (R12)");
      if (school.kind !== 'committee')
        throw DomainError.rule('R12', 'a base is corrected per school', [{ field: 'body.schoolId', message: `${school.id} is a ${school.kind}`, rule: 'R12' }]);
      const member = await db.selectFrom('members').select('id').where('id', '=', b.memberId).executeTakeFirst();
      if (!member) throw DomainError.rule('R12', 'no such member', [{ field: 'body.memberId', message: 'unknown member', rule: 'R12' }]);
      const id = randomUUID();
      const row = await db.transaction().execute(async (tx) => {
        const written = await tx
          .insertInto('graduate_base_corrections')
          .values({ id, cohort: b.cohort, school_id: school.id, member_id: b.memberId, change: b.change, reason: b.reason, actor_id: p.actorId })
          .returning('occurred_at')
          .executeTakeFirstOrThrow();
        await tx
          .insertInto('events')
          .values({
            idempotency_key: `graduate-base:${id}`,
            org_id: school.id,
            member_id: b.memberId,
            type: 'graduates.base-corrected',
            actor_id: p.actorId,
            payload: JSON.stringify({ correctionId: id, cohort: b.cohort, change: b.change, reason: b.reason }),
          })
          .execute();
        return written;
      });
      return reply
        .code(201)
        .send({ id, cohort: b.cohort, schoolId: school.id, memberId: b.memberId, change: b.change, occurredAt: row.occurred_at.toISOString() });
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
        querystring: OrgQuery,
        response: {
          200: DataProblems,
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
  baseCorrectionRoute(app, deps);
  dataProblemsRoute(app, deps);
}
