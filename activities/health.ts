// R21 organization health, the daily check (workflows/health-check.ts): the problems of a page of organizations,
// found by the query the API counts with too (db/queries/health.ts). It notifies each committee above a problem once
// (health_notices), and forgets the notices of problems that went away, so that a problem that comes back is new again.
import { sql } from 'kysely';
import { likePrefix, type Db } from '../db';
import { ORG_COLUMNS, problemsOf, withFacts, withoutJit, type FactsRow } from '../db/queries/health';
import { healthMessage, NOTIFIED_KINDS, type HealthKind } from '../domain/health';
import { pathIds } from '../domain/orgs';
import type { ActivityDeps } from './deps';

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
