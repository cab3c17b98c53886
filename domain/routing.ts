// R11: where a transferring member goes. Pure: the caller resolves the organizations from the tree.
import { z } from 'zod';
import { OrgId, type OrgKind, type SpecialKind } from './orgs';
import { singleLine } from './text';

/** What the caller knows about the destination (body of POST /api/transfers/route-preview, and a roster row). */
export const Destination = z.object({
  situation: z.enum(['study', 'work', 'no-job', 'abroad']),
  unitName: singleLine(100), // the school or work unit (no personal data)
  unitOrgId: OrgId.optional(), // the unit's league organization, if it has one
  unitMembers: z.number().int().min(0).optional(), // members in the unit's league organization
  destinationBranchId: OrgId.optional(), // a named branch in the unit (e.g. a freshman class branch); may not exist yet
  locationOrgId: OrgId, // township / subdistrict committee where the unit is (home township for no-job)
  communityBranchId: OrgId.optional(), // the village / community branch where the unit is
  newCivilServant: z.boolean().default(false),
});
export type Destination = z.infer<typeof Destination>;

/** An organization as the rule needs to know it; resolved from the tree by the caller. */
export interface OrgFact {
  id: string;
  parentId: string | null;
  kind: OrgKind;
  specialKind: SpecialKind;
  hasContactPhone: boolean;
}

/** Facts resolved by the caller: `undefined` = not asked (no id given), `null` = asked but not in the tree. */
export interface RouteFacts {
  destination: Destination;
  unitOrg?: OrgFact | null;
  destinationBranch?: OrgFact | null;
  communityBranch?: OrgFact | null;
  /** The floating-member branch directly under locationOrgId, if any. */
  floatingBranch?: OrgFact | null;
  /** The nearest temporary branch for new civil servants (under an agencies working committee at province/city/county level), if any. */
  civilServantBranch?: OrgFact | null;
}

export type RouteCase =
  | 'abroad-stays'
  | 'no-job-floating'
  | 'civil-servant-temporary-branch'
  | 'unit-organization'
  | 'unit-branch'
  | 'freshman-branch-pending'
  | 'community-branch'
  | 'floating-branch'
  | 'no-receiver';

export type Route =
  | { outcome: 'org'; orgId: string; case: RouteCase; reason: string } // transfer into this org (a branch, or a committee/general branch that then places the member)
  | { outcome: 'wait'; awaitOrgId: string; parentOrgId: string; case: 'freshman-branch-pending'; reason: string } // the destination branch does not exist yet: wait for its creation
  | { outcome: 'stay'; case: 'abroad-stays'; reason: string } // no transfer
  | { outcome: 'none'; case: 'no-receiver'; reason: string }; // nowhere to go

// A record, so that adding a RouteCase without listing it here fails to compile.
const CASES: Record<RouteCase, true> = {
  'abroad-stays': true,
  'no-job-floating': true,
  'civil-servant-temporary-branch': true,
  'unit-organization': true,
  'unit-branch': true,
  'freshman-branch-pending': true,
  'community-branch': true,
  'floating-branch': true,
  'no-receiver': true,
};
export const ROUTE_CASES: RouteCase[] = Object.keys(CASES) as RouteCase[];

/** Fewer members than this and a new civil servant goes to the temporary branch instead (R11). */
const CIVIL_SERVANT_MIN_UNIT_MEMBERS = 3;

/**
 * R11, first match wins. Contact phones are not checked here except for the community branch (whose lack
 * is a reason to go to the floating branch): any other receiver without one is reported by the transfer (R13).
 */
export function routeMember(f: RouteFacts): Route {
  const d = f.destination;
  const unit = `"${d.unitName}"`;

  if (d.situation === 'abroad')
    return { outcome: 'stay', case: 'abroad-stays', reason: `R11: studying abroad, the member stays with the school ${unit}; no transfer.` };

  if (d.situation === 'no-job') {
    if (f.floatingBranch)
      return {
        outcome: 'org',
        orgId: f.floatingBranch.id,
        case: 'no-job-floating',
        reason: `R11: with no job yet after ${unit}, the member goes to the floating-member branch ${f.floatingBranch.id} of the home township ${d.locationOrgId} for at most 6 months, one year at most.`,
      };
    return noReceiver(
      `R11: with no job yet after ${unit}, the member would go to the floating-member branch of the home township ${d.locationOrgId}, but it has none.`,
    );
  }

  const unitOrg = f.unitOrg ?? undefined; // an id not in the tree counts as "no league organization"
  const smallUnit = d.unitMembers !== undefined && d.unitMembers < CIVIL_SERVANT_MIN_UNIT_MEMBERS;
  if (d.newCivilServant && (!unitOrg || smallUnit) && f.civilServantBranch)
    return {
      outcome: 'org',
      orgId: f.civilServantBranch.id,
      case: 'civil-servant-temporary-branch',
      reason: `R11: the agency ${unit} has ${unitOrg ? `fewer than ${CIVIL_SERVANT_MIN_UNIT_MEMBERS} members in its league organization` : 'no league organization'}, so the new civil servant goes to the temporary branch ${f.civilServantBranch.id}.`,
    };

  if (unitOrg) {
    if (d.destinationBranchId !== undefined && f.destinationBranch)
      return {
        outcome: 'org',
        orgId: f.destinationBranch.id,
        case: 'unit-branch',
        reason: `R11: the unit ${unit} has a league organization ${unitOrg.id}; the member goes to its branch ${f.destinationBranch.id}.`,
      };
    if (d.destinationBranchId !== undefined && f.destinationBranch === null)
      return {
        outcome: 'wait',
        awaitOrgId: d.destinationBranchId,
        parentOrgId: unitOrg.id,
        case: 'freshman-branch-pending',
        reason: `R11: the branch ${d.destinationBranchId} of the unit ${unit} (organization ${unitOrg.id}) does not exist yet; the transfer waits for its creation (R12).`,
      };
    const placement = unitOrg.kind === 'branch' ? '' : ' Its administrator places the member in a branch later.';
    return {
      outcome: 'org',
      orgId: unitOrg.id,
      case: 'unit-organization',
      reason: `R11: the unit ${unit} has a league organization ${unitOrg.id}; the member follows the ${d.situation} relation into it.${placement}`,
    };
  }

  const community = f.communityBranch;
  if (community && community.kind === 'branch' && community.hasContactPhone)
    return {
      outcome: 'org',
      orgId: community.id,
      case: 'community-branch',
      reason: `R11: the unit ${unit} has no league organization; the member goes to the village / community branch ${community.id} where the unit is.`,
    };

  const why = !community
    ? 'there is no village / community branch where the unit is'
    : community.kind !== 'branch'
      ? `the community organization ${community.id} is not a branch`
      : `the community branch ${community.id} cannot receive (no contact phone)`;
  if (f.floatingBranch)
    return {
      outcome: 'org',
      orgId: f.floatingBranch.id,
      case: 'floating-branch',
      reason: `R11: the unit ${unit} has no league organization and ${why}; the member goes to the floating-member branch ${f.floatingBranch.id} of ${d.locationOrgId}.`,
    };
  return noReceiver(`R11: the unit ${unit} has no league organization, ${why}, and ${d.locationOrgId} has no floating-member branch.`);
}

function noReceiver(reason: string): Route {
  return { outcome: 'none', case: 'no-receiver', reason };
}
