// R22: the reads behind a campaign's progress (GET /api/campaigns/{id}/progress): the subtree's counts in one query
// over the read model, its cadres, the cities' extensions and the child organizations' names. The shares, targets
// and deadlines are computed from them in domain/campaign-progress.ts.
import { sql } from 'kysely';
import { likePrefix, type Db } from '../index';
import { currentPost } from './cadres';
import type { SubtreeCountRow } from '../../domain/campaign-progress';
import type { Due } from '../../domain/campaign-plan';
import { officeDay } from '../../domain/office-day';

/**
 * R22: the subtree's counts in ONE query over the read model, grouped per child organization ('' is the
 * organization's own task, when it is a branch). The tasks under each parent of branches are summed already
 * (campaign_rollups, kept by a trigger in the same transaction as each task's change): the subtree's rollups are
 * grouped by the child their parent lies in; the branches right below the organization come from their own rows.
 * The province's progress sums a few thousand rollups, not 50,000 tasks (bench figure 9).
 */
export async function subtreeCounts(db: Db, campaignId: string, path: string): Promise<SubtreeCountRow[]> {
  const { rows } = await sql<SubtreeCountRow>`
    select child, sum(total)::int as total, sum(evaluated)::int as evaluated, sum(confirmed)::int as confirmed,
      sum(registered)::int as registered, sum(done)::int as done, sum(in_progress)::int as "inProgress",
      sum(overdue)::int as overdue, sum(unfinished)::int as unfinished, sum(members_total)::int as members_total,
      sum(members_evaluated)::int as members_evaluated, sum(members_registered)::int as members_registered
    from (
      select split_part(substr(parent_path, length(${path}) + 1), '/', 1) as child, total, evaluated, confirmed, registered,
        done, in_progress, overdue, unfinished, members_total, members_evaluated, members_registered
      from campaign_rollups
      where campaign_id = ${campaignId} and parent_path like ${likePrefix(path)} and parent_path <> ${path}
      union all
      select case when org_path = ${path} then '' else org_id end, 1,
        (evaluated_at is not null)::int, (confirmed_at is not null)::int, (registered_at is not null)::int,
        (step = 'done')::int, (step not in ('done', 'unfinished'))::int, (overdue and step not in ('done', 'unfinished'))::int,
        (step = 'unfinished')::int, members_total, members_evaluated, members_registered
      from campaign_tasks
      where campaign_id = ${campaignId} and (parent_path = ${path} or org_path = ${path})
    ) parts
    group by child`.execute(db);
  return rows;
}

/** R22 (团干部注册): current cadres of the subtree and those registered in the campaign: two cheap aggregates. */
export async function cadreCounts(db: Db, campaignId: string, path: string): Promise<{ current: number; registered: number }> {
  const [current, registered] = await Promise.all([
    db
      .selectFrom('cadres')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('org_path', 'like', likePrefix(path))
      .where(currentPost('cadres', officeDay()))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('campaign_cadres')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', campaignId)
      .where('org_path', 'like', likePrefix(path))
      .executeTakeFirstOrThrow(),
  ]);
  return { current: Number(current.n), registered: Number(registered.n) };
}

/** Every extension of the campaign's phases, per city (a handful of rows per campaign). */
export function campaignExtensions(db: Db, campaignId: string): Promise<{ org_id: string; phase: string; until: Due }[]> {
  return db.selectFrom('campaign_extensions').select(['org_id', 'phase', 'until']).where('campaign_id', '=', campaignId).execute();
}

/** The child organizations a progress lists, by their ids. */
export function progressChildren(db: Db, ids: string[]): Promise<{ id: string; name: string; kind: string; depth: number }[]> {
  return ids.length === 0 ? Promise.resolve([]) : db.selectFrom('organizations').select(['id', 'name', 'kind', 'depth']).where('id', 'in', ids).execute();
}
