// Transfers (R9-R13) as the routes share them: the organizations a request looks up, the routing rule (R11)
// applied to the tree, the contact phone a receiving organization needs (R13), what the API resolves for a
// transfer decision, and waking the transfers that wait for an organization (R12).
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { likePrefix, type Db } from '../db';
import type { Organization, ProcessRow } from '../db/schema';
import { DomainError } from '../domain/errors';
import { pathIds } from '../domain/orgs';
import type { OrgRef } from '../domain/orgs';
import { routeMember, type Destination, type OrgFact, type Route } from '../domain/routing';
import type { DecisionBody, DecisionCommand } from '../domain/processes';
import { MISSING_PHONE, reportDataProblem } from '../db/queries/data-problems';
import { orgChangedSignal } from '../processes/messages';

export type OrgRow = Pick<Organization, 'id' | 'path' | 'parent_id' | 'kind' | 'special_kind' | 'contact_phone' | 'graduation_date'>;

export const ORG_COLUMNS = ['id', 'path', 'parent_id', 'kind', 'special_kind', 'contact_phone', 'graduation_date'] as const;

/** Organizations looked up once per request (a roster names the same few many times). */
export class Orgs {
  #cache = new Map<string, Promise<OrgRow | undefined>>();
  constructor(private readonly db: Db) {}
  get(id: string | undefined): Promise<OrgRow | undefined> {
    if (!id) return Promise.resolve(undefined);
    let p = this.#cache.get(id);
    if (!p) {
      p = this.db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', id).executeTakeFirst();
      this.#cache.set(id, p);
    }
    return p;
  }
  /** The floating-member branch directly under a township / subdistrict committee. */
  floatingUnder(parentId: string): Promise<OrgRow | undefined> {
    return this.db
      .selectFrom('organizations')
      .select(ORG_COLUMNS)
      .where('parent_id', '=', parentId)
      .where('special_kind', '=', 'floating')
      .orderBy('id')
      .executeTakeFirst();
  }
  /** The nearest temporary branch for new civil servants: under an agencies committee of the location or a level above. */
  async civilServantNear(location: OrgRow): Promise<OrgRow | undefined> {
    const ancestors = pathIds(location.path);
    const candidates = await this.db
      .selectFrom('organizations')
      .select(ORG_COLUMNS)
      .where('special_kind', '=', 'temporary_civil_servant')
      .where('path', 'like', likePrefix(`${ancestors[0]}/`))
      .execute();
    // The deepest ancestor that holds one wins (county before city before province).
    let best: { row: OrgRow; depth: number } | undefined;
    for (const row of candidates) {
      const ids = pathIds(row.path);
      let shared = 0;
      while (shared < ids.length && ids[shared] === ancestors[shared]) shared++;
      if (!best || shared > best.depth) best = { row, depth: shared };
    }
    return best?.row;
  }
}

function fact(o: OrgRow | undefined): OrgFact | null {
  return o ? { id: o.id, parentId: o.parent_id, kind: o.kind, specialKind: o.special_kind, hasContactPhone: !!o.contact_phone } : null;
}

export function ref(o: OrgRow): OrgRef {
  return { id: o.id, path: o.path, parentId: o.parent_id, kind: o.kind };
}

/** R11: resolves the destination's facts from the tree and applies the routing rule. */
export async function routeFor(orgs: Orgs, d: Destination): Promise<Route> {
  const location = await orgs.get(d.locationOrgId);
  if (!location)
    throw DomainError.rule('R11', 'no such township or subdistrict committee', [
      { field: 'destination.locationOrgId', message: 'unknown organization', rule: 'R11' },
    ]);
  const [unitOrg, destinationBranch, communityBranch, floatingBranch, civilServantBranch] = await Promise.all([
    d.unitOrgId ? orgs.get(d.unitOrgId) : undefined,
    d.destinationBranchId ? orgs.get(d.destinationBranchId) : undefined,
    d.communityBranchId ? orgs.get(d.communityBranchId) : undefined,
    orgs.floatingUnder(location.id),
    d.newCivilServant ? orgs.civilServantNear(location) : undefined,
  ]);
  return routeMember({
    destination: d,
    ...(d.unitOrgId ? { unitOrg: fact(unitOrg) } : {}),
    ...(d.destinationBranchId ? { destinationBranch: fact(destinationBranch) } : {}),
    ...(d.communityBranchId ? { communityBranch: fact(communityBranch) } : {}),
    floatingBranch: fact(floatingBranch),
    ...(d.newCivilServant ? { civilServantBranch: fact(civilServantBranch) } : {}),
  });
}

/** R13: a receiving organization without a contact phone blocks the transfer, and is reported to the levels above. */
export async function requireContactPhone(db: Db, org: OrgRow, field: string): Promise<void> {
  if (org.contact_phone) return;
  await reportDataProblem(db, { orgId: org.id, ...MISSING_PHONE, message: 'a transfer into this organization was refused: it has no contact phone' });
  throw DomainError.rule('R13', `the receiving organization ${org.id} has no contact phone; it cannot receive transfers until one is entered`, [
    { field, message: 'no contact phone', rule: 'R13' },
  ]);
}

/** For a transfer decision: the step the caller saw, and for "place" the branch, resolved and checked (R13). */
export async function prepareTransferDecision(db: Db, row: ProcessRow, body: DecisionBody): Promise<Partial<DecisionCommand>> {
  if (body.action !== 'place') return { step: row.step };
  const branch = await db.selectFrom('organizations').select(ORG_COLUMNS).where('id', '=', body.branchId!).executeTakeFirst();
  if (!branch) throw DomainError.rule('R9', 'no such branch', [{ field: 'body.branchId', message: 'unknown organization', rule: 'R9' }]);
  if (branch.kind !== 'branch')
    throw DomainError.rule('R9', 'the member is placed into a branch', [{ field: 'body.branchId', message: `${branch.id} is a ${branch.kind}`, rule: 'R9' }]);
  if (!branch.path.startsWith(row.org_path))
    throw DomainError.rule('R9', `the branch must belong to ${row.org_id}`, [
      { field: 'body.branchId', message: 'outside the receiving organization', rule: 'R9' },
    ]);
  await requireContactPhone(db, branch, 'body.branchId');
  return { step: row.step, branch: { id: branch.id, path: branch.path, parentId: branch.parent_id, kind: branch.kind } };
}

/** R12: creating (or fixing) organizations wakes the transfers waiting for them. */
export async function wakeTransfersWaitingFor(deps: { db: Db; client: Client }, orgIds: Set<string>): Promise<number> {
  const waiting = await deps.db
    .selectFrom('transfers')
    .innerJoin('processes', 'processes.id', 'transfers.process_id')
    .select(['processes.workflow_id', 'transfers.await_org_id'])
    .where('transfers.status', '=', 'pending')
    .where('transfers.await_org_id', 'is not', null)
    .execute();
  let woken = 0;
  for (const w of waiting) {
    if (!orgIds.has(w.await_org_id!)) continue;
    try {
      await deps.client.workflow.getHandle(w.workflow_id).signal(orgChangedSignal, { orgId: w.await_org_id! });
      woken += 1;
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
  }
  return woken;
}
