// R18: the one start of a disciplinary case, for the branch (api/discipline.ts) and for the dues check
// (activities/dues.ts): the branch, the committee that approves and the one that approves an expulsion, and the
// case started under the member's workflow ID.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../db';
import type { Config } from '../domain/config';
import { cityLevelOf, pathIds, type OrgRef } from '../domain/orgs';
import { nearestCommitteeAbove } from '../db/queries/organizations';
import type { DisciplineInput } from '../domain/discipline';
import { disciplineProcess } from '../processes/discipline';
import { ProcessAlreadyOpen, startProcess, type Recorded } from './start-process';
import { stepDeadline } from '../domain/calendar';

export interface DisciplineStartRequest {
  memberId: string;
  grounds: DisciplineInput['grounds'];
  details: string;
  startedBy: string;
}

/** A case opened (with `wait`, as recorded at its first step), the one already open, or a refusal naming why. */
export type DisciplineStartResult = { processId: string; created: true; recorded?: Recorded } | { processId: string; created: false } | { refused: string };

/**
 * Starts a case for a member, unless one is already open (one open case per member: the workflow ID).
 * `wait`: answer once the workflow has recorded the case (the API shows it at once); otherwise once Temporal
 * has accepted the start (the dues check).
 */
export function disciplineStarter({ db, client, config }: { db: Db; client: Client; config: Config }) {
  return async function start(r: DisciplineStartRequest, opts: { wait?: boolean } = {}): Promise<DisciplineStartResult> {
    const member = await db
      .selectFrom('members')
      .innerJoin('organizations', 'organizations.id', 'members.branch_id')
      .select(['members.id', 'members.status', 'organizations.path'])
      .where('members.id', '=', r.memberId)
      .executeTakeFirst();
    if (!member) return { refused: 'member not found' };
    if (member.status !== 'active' && member.status !== 'probation') return { refused: `the member is ${member.status}` };
    const ids = pathIds(member.path);
    const orgs = await db.selectFrom('organizations').select(['id', 'path', 'parent_id', 'kind']).where('id', 'in', ids).execute();
    const byId = new Map(orgs.map((o) => [o.id, { id: o.id, path: o.path, parentId: o.parent_id, kind: o.kind } satisfies OrgRef]));
    const branch = byId.get(ids[ids.length - 1]!)!;
    const province = byId.get(ids[0]!)!;
    // R18: the nearest committee above the branch approves (a general branch, 团总支, is no committee): R3's function.
    const committee = await nearestCommitteeAbove(db, branch.id);
    const approver = (committee !== null ? byId.get(committee) : undefined) ?? province;
    const level = config.expulsionApproval;
    const expulsionApprover = level === 'province' ? province : level === 'city' ? byId.get(cityLevelOf(member.path))! : approver;
    const processId = randomUUID();
    const input: DisciplineInput = {
      processId,
      memberId: r.memberId,
      grounds: r.grounds,
      details: r.details,
      startedBy: r.startedBy,
      branch,
      approver,
      expulsionApprover,
      province,
      spotCheck: Math.random() < config.spotCheckRate,
      timing: config.timing.discipline,
    };
    const started = {
      process: disciplineProcess,
      memberId: r.memberId,
      input,
      org: branch,
      deadline: new Date(stepDeadline(config.timing.discipline.verification, Date.now())),
    };
    try {
      // R18: a case is opened unless one is already open.
      if (opts.wait) return { processId, created: true, recorded: await startProcess({ client, config }, started) };
      await startProcess({ client, config }, { ...started, wait: false });
      return { processId, created: true };
    } catch (e) {
      if (e instanceof ProcessAlreadyOpen) {
        const open = await db.selectFrom('processes').select('id').where('workflow_id', '=', e.workflowId).where('closed_at', 'is', null).executeTakeFirst();
        return { processId: open?.id ?? '', created: false };
      }
      throw e;
    }
  };
}
