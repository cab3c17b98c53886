// The read model of processes, as the routes of every kind load one.
import type { Db } from '../db';
import { DomainError } from '../domain/errors';

/** A process with its member's name; 404 when there is none. */
export async function loadProcess(db: Db, id: string) {
  const row = await db
    .selectFrom('processes')
    .leftJoin('members', 'members.id', 'processes.member_id')
    // R22: a campaign task is about its branch, not a member.
    .leftJoin('campaign_tasks as task', 'task.process_id', 'processes.id')
    .leftJoin('organizations as task_org', 'task_org.id', 'task.org_id')
    .selectAll('processes')
    .select(['members.name as member_name', 'task.campaign_id as task_campaign_id', 'task.org_id as task_org_id', 'task_org.name as task_org_name'])
    .where('processes.id', '=', id)
    .executeTakeFirst();
  if (!row) throw DomainError.notFound('process not found');
  return row;
}
