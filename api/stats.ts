// Statistics the console charts: processes that became overdue per day, deletions approved per month (R17).
// Days and months are those of the offices: Asia/Shanghai (UTC+8, no daylight saving time).
import { sql } from 'kysely';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { OFFICE_ZONE, addDays, addMonths, officeDay, officeDayStart, officeMonth } from '../domain/calendar';
import { likePrefix } from '../db';
import type { Api, AppDeps } from './deps';
import { errorResponses, iso, statisticsOrg } from './schemas';
import { awardCounts } from '../db/queries/awards';
import { AwardStatistics, DeletionStatistics, DeletionStatisticsQuery, OrgQuery, OverdueQuery, OverdueStatistics } from '../contract/stats';

/** The last `n` Shanghai days up to today, oldest first, and the instant the first of them began. */
export function lastDays(n: number, now: Date): { days: string[]; since: Date } {
  const today = officeDay(now);
  const days = Array.from({ length: n }, (_, i) => addDays(today, -(n - 1 - i)));
  return { days, since: new Date(officeDayStart(days[0]!)) };
}

/** The last `n` Shanghai months up to this one, oldest first (YYYY-MM), and the instant the first began. */
export function lastMonths(n: number, now: Date): { months: string[]; since: Date } {
  const month = officeMonth(now);
  const months = Array.from({ length: n }, (_, i) => addMonths(month, -(n - 1 - i)));
  return { months, since: new Date(officeDayStart(`${months[0]}-01`)) };
}

/** GET /stats/overdue: per day, how many processes of the subtree became overdue (their `deadline.overdue` event). */
function overdueRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/stats/overdue',
    {
      schema: {
        summary: 'R3: processes of the subtree that became overdue, per day (Asia/Shanghai), oldest first, every day present',
        querystring: OverdueQuery,
        response: { 200: OverdueStatistics, ...errorResponses },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.query.orgId, 'process.read');
      const { days, since } = lastDays(req.query.days, new Date());
      // The event's organization is the one that was acting when the deadline passed.
      const { rows } = await sql<{ day: string; overdue: number }>`
        select to_char(e.occurred_at at time zone ${OFFICE_ZONE}, 'YYYY-MM-DD') as day, count(distinct e.process_id)::int as overdue
        from events e
        join organizations o on o.id = e.org_id
        where e.type = 'deadline.overdue' and e.occurred_at >= ${since} and o.path like ${likePrefix(org.path)}
        group by 1`.execute(db);
      const byDay = new Map(rows.map((r) => [r.day, r.overdue]));
      return { orgId: org.id, days: days.map((day) => ({ day, overdue: byDay.get(day) ?? 0 })) };
    },
  );
}

/** GET /stats/deletions (R17): deletions approved per month, graduates among them, and the organizations flagged. */
function deletionsRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/stats/deletions',
    {
      schema: {
        summary: 'R17: deletions approved in the subtree per month (Asia/Shanghai), graduates among them, and the organizations flagged in those months',
        querystring: DeletionStatisticsQuery,
        response: {
          200: DeletionStatistics,
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.query.orgId, 'stats.read');
      const { months, since } = lastMonths(req.query.months, new Date());
      const prefix = likePrefix(org.path);
      const [counts, flags] = await Promise.all([
        sql<{ month: string; approved: number; graduates: number }>`
          select to_char(d.decided_at at time zone ${OFFICE_ZONE}, 'YYYY-MM') as month, count(*)::int as approved,
            (count(*) filter (where d.graduate))::int as graduates
          from deletions d
          where d.branch_path like ${prefix} and d.decided_at >= ${since} and d.status = 'approved'
          group by 1`.execute(db),
        db
          .selectFrom('abuse_flags as f')
          .leftJoin('organizations as o', 'o.id', 'f.org_id')
          .select(['f.org_id', 'o.name', 'f.deletions', 'f.graduates', 'f.flagged_at'])
          .where('f.org_path', 'like', prefix)
          .where('f.flagged_at', '>=', since)
          .orderBy('f.flagged_at', 'desc')
          .orderBy('f.id', 'desc')
          .limit(1000)
          .execute(),
      ]);
      const byMonth = new Map(counts.rows.map((r) => [r.month, r]));
      return {
        orgId: org.id,
        months: months.map((month) => ({ month, approved: byMonth.get(month)?.approved ?? 0, graduates: byMonth.get(month)?.graduates ?? 0 })),
        flags: flags.map((f) => ({ orgId: f.org_id, orgName: f.name, deletions: f.deletions, graduates: f.graduates, flaggedAt: iso(f.flagged_at)! })),
      };
    },
  );
}

/** GET /stats/awards (R23): the rewards and punishments recorded in the subtree, beside the other statistics. */
function awardsRoute(app: Api, { db }: AppDeps): void {
  app.get(
    '/stats/awards',
    {
      schema: {
        summary: 'R23: rewards and punishments recorded in the subtree (revoked punishments counted apart), by kind',
        querystring: OrgQuery,
        response: { 200: AwardStatistics, ...errorResponses },
      },
    },
    async (req) => {
      const org = await statisticsOrg(db, req.principal, req.query.orgId, 'award.read');
      return { orgId: org.id, ...(await awardCounts(db, org.path)) };
    },
  );
}

export function statsRoutes(deps: AppDeps): FastifyPluginAsyncZod {
  return async (app) => {
    overdueRoute(app, deps);
    deletionsRoute(app, deps);
    awardsRoute(app, deps);
  };
}
