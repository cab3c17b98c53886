// The read model of processes, as the routes read it: pages of processes, a process's timeline and the
// organizations that acted on it, the inbox.
import { likePrefix, type Db } from '../index';

/** Which processes a page lists (a subtree, one organization's To do, a member's own) and how it is filtered. */
export interface ProcessPageQuery {
  scope: { path?: string; orgId?: string; memberId?: string; open?: boolean };
  kind?: string;
  status?: string;
  step?: string;
  overdue?: boolean;
  /** At their step since this instant or earlier. */
  atStepSince?: Date;
  /** The last process of the page before (newest first): its start time and id. */
  after?: [string, string];
  limit: number;
}

/** One page of processes, newest first, and one more row to tell whether a next page exists. */
export function processPage(db: Db, q: ProcessPageQuery) {
  const { scope, after } = q;
  return db
    .selectFrom('processes')
    .leftJoin('members', 'members.id', 'processes.member_id')
    .leftJoin('organizations', 'organizations.id', 'processes.org_id')
    .leftJoin('campaign_tasks as task', 'task.process_id', 'processes.id')
    .leftJoin('organizations as task_org', 'task_org.id', 'task.org_id')
    .selectAll('processes')
    .select([
      'members.name as member_name',
      'organizations.name as org_name',
      'task.campaign_id as task_campaign_id',
      'task.org_id as task_org_id',
      'task_org.name as task_org_name',
    ])
    .$if(!!scope.path, (b) => b.where('processes.org_path', 'like', likePrefix(scope.path!)))
    .$if(!!scope.orgId, (b) => b.where('processes.org_id', '=', scope.orgId!))
    .$if(!!scope.memberId, (b) => b.where('processes.member_id', '=', scope.memberId!))
    .$if(!!scope.open, (b) => b.where('processes.closed_at', 'is', null))
    .$if(!!q.kind, (b) => b.where('processes.kind', '=', q.kind!))
    .$if(!!q.status, (b) => b.where('processes.status', '=', q.status!))
    .$if(!!q.step, (b) => b.where('processes.step', '=', q.step!))
    .$if(!!q.atStepSince, (b) => b.where('processes.step_since', '<=', q.atStepSince!))
    .$if(q.overdue === true, (b) => b.where('processes.overdue', '=', true).where('processes.closed_at', 'is', null))
    .$if(q.overdue === false, (b) => b.where('processes.overdue', '=', false))
    .$if(!!after, (b) =>
      b.where((eb) =>
        eb.or([
          eb('processes.started_at', '<', new Date(after![0])),
          eb.and([eb('processes.started_at', '=', new Date(after![0])), eb('processes.id', '<', after![1])]),
        ]),
      ),
    )
    .orderBy('processes.started_at', 'desc')
    .orderBy('processes.id', 'desc')
    .limit(q.limit + 1)
    .execute();
}

/** The paths of the organizations that acted on a process (its events' organizations). */
export async function actedOrgPaths(db: Db, processId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('events')
    .innerJoin('organizations', 'organizations.id', 'events.org_id')
    .select('organizations.path')
    .distinct()
    .where('events.process_id', '=', processId)
    .execute();
  return rows.map((r) => r.path);
}

/** A process's events in order, the name of the organization acting now, and the path of its member's branch. */
export async function processTimeline(db: Db, row: { id: string; org_id: string; member_id: string | null }) {
  const [events, org, member] = await Promise.all([
    db.selectFrom('events').select(['type', 'actor_id', 'org_id', 'occurred_at', 'payload']).where('process_id', '=', row.id).orderBy('id').execute(),
    db.selectFrom('organizations').select('name').where('id', '=', row.org_id).executeTakeFirst(),
    row.member_id
      ? db
          .selectFrom('members')
          .innerJoin('organizations', 'organizations.id', 'members.branch_id')
          .select('organizations.path')
          .where('members.id', '=', row.member_id)
          .executeTakeFirst()
      : undefined,
  ]);
  return { events, orgName: org?.name ?? null, memberBranchPath: member?.path };
}

/**
 * The newest notifications addressed to an actor or an organization. The inbox is the outbox's delivery channel:
 * what the recipient fetched counts as delivered (marked here; each row says whether this was its first read).
 */
export async function readInbox(db: Db, to: { actorId: string | null; orgId: string | null }, limit: number) {
  const rows = await db
    .selectFrom('notifications')
    .selectAll()
    .where((eb) => eb.or([eb('recipient_actor_id', '=', to.actorId), eb('recipient_org_id', '=', to.orgId)]))
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const undelivered = rows.filter((n) => n.delivered_at === null).map((n) => n.id);
  if (undelivered.length > 0) {
    await db.updateTable('notifications').set({ delivered_at: new Date() }).where('id', 'in', undelivered).execute();
  }
  return rows;
}

/** An organization's path, if it exists. */
export async function orgPathOf(db: Db, id: string): Promise<string | undefined> {
  const org = await db.selectFrom('organizations').select('path').where('id', '=', id).executeTakeFirst();
  return org?.path;
}
