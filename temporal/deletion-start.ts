// R14: the one start of a deletion, for the branch's application (api/deletions.ts) and for a member refused
// annual registration (R22, activities/campaigns/): the member's branch, its city-level committee (which
// verifies) and the province (which decides), and the process started under the member's workflow ID.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import type { Config } from '../domain/config';
import type { DeletionInput, DeletionStart } from '../domain/deletions';
import { cityLevelOf, pathIds, type OrgRef } from '../domain/orgs';
import { deletionProcess } from '../processes/deletion';
import { startProcess, type Recorded } from './start-process';
import { stepDeadline } from '../domain/calendar';

export interface DeletionStartDeps {
  db: Db;
  client: Client;
  config: Pick<Config, 'taskQueue' | 'timing'>;
}

/** A member's deletion, applied for by `appliedBy`; the caller checked who may apply and that the member may be deleted. */
export async function startDeletion(
  { db, client, config }: DeletionStartDeps,
  member: { id: string; branchPath: string; graduate: boolean },
  application: Omit<DeletionStart, 'memberId'> & { appliedBy: string },
): Promise<Recorded> {
  const ids = pathIds(member.branchPath);
  const orgs = await db.selectFrom('organizations').select(['id', 'path', 'parent_id', 'kind']).where('id', 'in', ids).execute();
  const byId = new Map(orgs.map((o) => [o.id, { id: o.id, path: o.path, parentId: o.parent_id, kind: o.kind } satisfies OrgRef]));
  const branch = byId.get(ids[ids.length - 1]!)!;
  const province = byId.get(ids[0]!)!;
  // R14: the city-level committee verifies (a branch right under the province has none: the province does).
  const city = byId.get(cityLevelOf(member.branchPath))!;
  const input: DeletionInput = {
    processId: randomUUID(),
    memberId: member.id,
    category: application.category,
    reason: application.reason,
    ...(application.explanation ? { explanation: application.explanation } : {}),
    appliedBy: application.appliedBy,
    branch,
    city,
    province,
    graduate: member.graduate,
    timing: config.timing.deletion,
  };
  // R14: at most one open deletion per member, enforced by the workflow ID. Answers once the workflow has
  // recorded the application, so the process is readable at once.
  return startProcess(
    { client, config },
    {
      process: deletionProcess,
      memberId: member.id,
      input,
      org: city,
      deadline: new Date(stepDeadline(config.timing.deletion.cityReview, Date.now())),
    },
  );
}
