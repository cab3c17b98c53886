// Organization queries that API routes, services and activities share: where a decision goes up the tree.
import type { Db, Tx } from '../index';
import { nearestCommitteeOf, pathIds } from '../../domain/orgs';

/**
 * R3/R18: the nearest committee above an organization (its deepest ancestor of kind 'committee'; a general branch
 * in between is passed over), or null when none is above it or the organization is unknown. R3's escalation and
 * R18's approval of a sanction both go to it.
 */
export async function nearestCommitteeAbove(db: Db | Tx, orgId: string): Promise<string | null> {
  const org = await db.selectFrom('organizations').select('path').where('id', '=', orgId).executeTakeFirst();
  const ancestors = org ? pathIds(org.path).slice(0, -1) : [];
  if (!org || ancestors.length === 0) return null;
  const committees = await db.selectFrom('organizations').select('id').where('id', 'in', ancestors).where('kind', '=', 'committee').execute();
  const ids = new Set(committees.map((c) => c.id));
  return nearestCommitteeOf(org.path, (id) => ids.has(id)) ?? null;
}
