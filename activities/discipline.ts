// Side effects of disciplinary handling (R18): starting a case (from the branch or the dues check), the read
// model of each step, materials, and the sanction's effect on the member.
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Db } from '../db';
import type { Config } from '../domain/config';
import { pathIds } from '../domain/orgs';
import { SA } from '../domain/search-attributes';
import { disciplineWorkflowId, type DisciplineInput } from '../domain/discipline';
import type { OrgRef } from '../domain/orgs';

export interface DisciplineStartRequest {
  memberId: string;
  grounds: DisciplineInput['grounds'];
  details: string;
  startedBy: string;
}

/** Starts a case for a member, unless one is already open (one open case per member: the workflow ID). */
export function disciplineStarter({ db, client, config }: { db: Db; client: Client; config: Config }) {
  return async function start(r: DisciplineStartRequest): Promise<{ processId: string; created: boolean } | { refused: string }> {
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
    const approver = byId.get(branch.parentId ?? ids[0]!) ?? province;
    const level = config.expulsionApproval;
    const expulsionApprover = level === 'province' ? province : level === 'city' ? (byId.get(ids[1] ?? ids[0]!) ?? province) : approver;
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
    try {
      await client.workflow.start('discipline', {
        workflowId: disciplineWorkflowId(r.memberId),
        taskQueue: config.taskQueue,
        args: [input],
        // R18: a case is opened unless one is already open.
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: SA.kind, value: 'discipline' },
          { key: SA.org, value: branch.id },
          { key: SA.orgPath, value: pathIds(branch.path) },
          { key: SA.status, value: 'pending' },
          { key: SA.deadline, value: new Date(Date.now() + config.timing.discipline.verification.deadlineMs) },
          { key: SA.overdue, value: false },
        ],
      });
      return { processId, created: true };
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) {
        const open = await db.selectFrom('processes').select('id').where('workflow_id', '=', disciplineWorkflowId(r.memberId)).where('closed_at', 'is', null).executeTakeFirst();
        return { processId: open?.id ?? '', created: false };
      }
      throw e;
    }
  };
}
