// R22: who reads and writes what of a campaign: the organizations of its province read it (their subtree), the
// province alone opens, extends and closes it, a branch writes to its own task. Each check is an `authorize`
// against the organization's path, as on every route; another province's campaign is a 404 (not theirs to know).
import { authorize, type Action, type Principal } from '../../domain/authz';
import { DomainError } from '../../domain/errors';
import { pathIds } from '../../domain/orgs';
import type { Db } from '../../db';
import { branchTaskOf, campaignById, campaignOrgById, type CampaignRow } from '../../db/queries/campaigns';
import { notFound } from '../schemas';

/** The province of the caller: the root of their organization's path (403 without an organization). */
export function callerProvince(p: Principal): string {
  const root = p.orgPath ? pathIds(p.orgPath)[0] : undefined;
  if (!root || p.role === 'member' || p.role === 'system') throw DomainError.forbidden("campaigns are read by the organizations of the campaign's province");
  authorize(p, 'campaign.read', { orgPath: p.orgPath! });
  return root;
}

/** A campaign of the caller's province (404 for another province's: not theirs to know about). */
export async function campaignOf(db: Db, id: string, p: Principal): Promise<CampaignRow> {
  const province = callerProvince(p);
  const c = await campaignById(db, id);
  if (!c || c.province_id !== province) notFound('campaign');
  return c;
}

/** R22: only the province (the root's province admin) opens, extends and closes its campaign. */
export function asProvince(p: Principal): { id: string; path: string } {
  if (!p.orgId || !p.orgPath || pathIds(p.orgPath).length !== 1) throw DomainError.forbidden('R22: only the province opens, extends and closes its campaign');
  authorize(p, 'campaign.open', { orgPath: p.orgPath });
  return { id: p.orgId, path: p.orgPath };
}

/** An organization the campaign routes are asked about (404 when unknown). */
export async function orgOf(db: Db, id: string) {
  return (await campaignOrgById(db, id)) ?? notFound('organization');
}

/** The caller's view of one organization in a campaign: the campaign, the organization (authorized for `action`). */
export async function campaignOrg(db: Db, p: Principal, campaignId: string, orgId: string, action: Action) {
  const campaign = await campaignOf(db, campaignId, p);
  const org = await orgOf(db, orgId);
  authorize(p, action, { orgPath: org.path });
  if (pathIds(org.path)[0] !== campaign.province_id) notFound('organization');
  return { campaign, org };
}

/** The same, for a branch with its task in the campaign (404 for an organization that has none: only branches do). */
export async function campaignBranch(db: Db, p: Principal, campaignId: string, orgId: string, action: Action) {
  const { campaign, org } = await campaignOrg(db, p, campaignId, orgId, action);
  const task = await branchTaskOf(db, campaign.id, org.id);
  if (!task) throw DomainError.notFound('this organization has no task in the campaign (only branches have one)');
  return { campaign, org, task };
}
