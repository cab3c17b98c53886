// R11 routing ("where the member goes"): a pure rule, one row per case and per fall-through.
import { describe, expect, it } from 'vitest';
import { Destination, ROUTE_CASES, routeMember, type OrgFact, type RouteCase, type RouteFacts } from '../domain/routing';

function org(id: string, parentId: string | null, kind: OrgFact['kind'], extra: Partial<OrgFact> = {}): OrgFact {
  return { id, parentId, kind, specialKind: 'none', hasContactPhone: true, ...extra };
}

/** Parsed, so every fixture is also a valid request body. */
function dest(d: Partial<Destination> & Pick<Destination, 'situation'>): Destination {
  return Destination.parse({ unitName: 'Riverside Works', locationOrgId: 'town-1', ...d });
}

const UNIT = org('unit-c', 'town-1', 'committee');
const UNIT_BRANCH = org('unit-b1', 'unit-c', 'branch');
const COMMUNITY = org('village-b', 'town-1', 'branch');
const FLOATING = org('town-1-floating', 'town-1', 'branch', { specialKind: 'floating' });
const CIVIL = org('county-temp-cs', 'county-agencies', 'branch', { specialKind: 'temporary_civil_servant' });

interface Row {
  name: string;
  facts: RouteFacts;
  expect: { outcome: 'org' | 'wait' | 'stay' | 'none'; case: RouteCase; orgId?: string; awaitOrgId?: string; parentOrgId?: string };
}

const ROWS: Row[] = [
  {
    name: 'R11: a member studying abroad stays with the school',
    facts: { destination: dest({ situation: 'abroad', unitName: 'Harbour University' }), floatingBranch: FLOATING },
    expect: { outcome: 'stay', case: 'abroad-stays' },
  },
  {
    name: 'R11: a graduate with no job goes to the home township floating-member branch',
    facts: { destination: dest({ situation: 'no-job', unitName: 'Harbour University' }), floatingBranch: FLOATING },
    expect: { outcome: 'org', case: 'no-job-floating', orgId: 'town-1-floating' },
  },
  {
    name: 'R11: a graduate with no job and no floating-member branch at home has no receiver',
    facts: { destination: dest({ situation: 'no-job', unitName: 'Harbour University' }), floatingBranch: null },
    expect: { outcome: 'none', case: 'no-receiver' },
  },
  {
    name: 'R11: a new civil servant in an agency with 2 members goes to the temporary branch',
    facts: {
      destination: dest({ situation: 'work', unitName: 'County Water Bureau', unitOrgId: 'unit-c', unitMembers: 2, newCivilServant: true }),
      unitOrg: UNIT,
      civilServantBranch: CIVIL,
    },
    expect: { outcome: 'org', case: 'civil-servant-temporary-branch', orgId: 'county-temp-cs' },
  },
  {
    name: 'R11: a new civil servant in an agency without a league organization goes to the temporary branch',
    facts: {
      destination: dest({ situation: 'work', unitName: 'County Water Bureau', newCivilServant: true }),
      civilServantBranch: CIVIL,
      communityBranch: COMMUNITY,
    },
    expect: { outcome: 'org', case: 'civil-servant-temporary-branch', orgId: 'county-temp-cs' },
  },
  {
    name: 'R11: a new civil servant in an agency with 5 members goes to the agency league organization',
    facts: {
      destination: dest({ situation: 'work', unitName: 'County Water Bureau', unitOrgId: 'unit-c', unitMembers: 5, newCivilServant: true }),
      unitOrg: UNIT,
      civilServantBranch: CIVIL,
    },
    expect: { outcome: 'org', case: 'unit-organization', orgId: 'unit-c' },
  },
  {
    name: 'R11: a new civil servant with no temporary branch available falls through to the community branch',
    facts: {
      destination: dest({ situation: 'work', unitName: 'County Water Bureau', communityBranchId: 'village-b', newCivilServant: true }),
      communityBranch: COMMUNITY,
      civilServantBranch: null,
      floatingBranch: FLOATING,
    },
    expect: { outcome: 'org', case: 'community-branch', orgId: 'village-b' },
  },
  {
    name: 'R11: a unit with a league organization receives the member',
    facts: { destination: dest({ situation: 'work', unitOrgId: 'unit-c', unitMembers: 40 }), unitOrg: UNIT, communityBranch: COMMUNITY },
    expect: { outcome: 'org', case: 'unit-organization', orgId: 'unit-c' },
  },
  {
    name: 'R11: a unit whose league organization is a branch receives the member there',
    facts: { destination: dest({ situation: 'work', unitOrgId: 'unit-b1' }), unitOrg: UNIT_BRANCH },
    expect: { outcome: 'org', case: 'unit-organization', orgId: 'unit-b1' },
  },
  {
    name: 'R11: a named branch that exists in the unit receives the member',
    facts: {
      destination: dest({ situation: 'study', unitName: 'Harbour University', unitOrgId: 'unit-c', destinationBranchId: 'unit-b1' }),
      unitOrg: UNIT,
      destinationBranch: UNIT_BRANCH,
    },
    expect: { outcome: 'org', case: 'unit-branch', orgId: 'unit-b1' },
  },
  {
    name: 'R11: a freshman branch not created yet makes the transfer wait for it',
    facts: {
      destination: dest({ situation: 'study', unitName: 'Harbour University', unitOrgId: 'unit-c', destinationBranchId: 'fresh-2026-01' }),
      unitOrg: UNIT,
      destinationBranch: null,
    },
    expect: { outcome: 'wait', case: 'freshman-branch-pending', awaitOrgId: 'fresh-2026-01', parentOrgId: 'unit-c' },
  },
  {
    name: 'R11: a unit organization id not in the tree counts as no league organization',
    facts: {
      destination: dest({
        situation: 'study',
        unitName: 'Harbour University',
        unitOrgId: 'ghost-c',
        destinationBranchId: 'fresh-2026-01',
        communityBranchId: 'village-b',
      }),
      unitOrg: null,
      destinationBranch: null,
      communityBranch: COMMUNITY,
      floatingBranch: FLOATING,
    },
    expect: { outcome: 'org', case: 'community-branch', orgId: 'village-b' },
  },
  {
    name: 'R11: a unit without a league organization sends the member to the community branch',
    facts: { destination: dest({ situation: 'work', communityBranchId: 'village-b' }), communityBranch: COMMUNITY, floatingBranch: FLOATING },
    expect: { outcome: 'org', case: 'community-branch', orgId: 'village-b' },
  },
  {
    name: 'R11: a community branch without a contact phone cannot receive, so the floating-member branch does',
    facts: {
      destination: dest({ situation: 'work', communityBranchId: 'village-b' }),
      communityBranch: org('village-b', 'town-1', 'branch', { hasContactPhone: false }),
      floatingBranch: FLOATING,
    },
    expect: { outcome: 'org', case: 'floating-branch', orgId: 'town-1-floating' },
  },
  {
    name: 'R11: a community organization that is not a branch cannot receive, so the floating-member branch does',
    facts: {
      destination: dest({ situation: 'work', communityBranchId: 'village-c' }),
      communityBranch: org('village-c', 'town-1', 'committee'),
      floatingBranch: FLOATING,
    },
    expect: { outcome: 'org', case: 'floating-branch', orgId: 'town-1-floating' },
  },
  {
    name: 'R11: a missing community branch sends the member to the floating-member branch',
    facts: { destination: dest({ situation: 'work', communityBranchId: 'village-x' }), communityBranch: null, floatingBranch: FLOATING },
    expect: { outcome: 'org', case: 'floating-branch', orgId: 'town-1-floating' },
  },
  {
    name: 'R11: no unit organization, community branch or floating-member branch means no receiver',
    facts: { destination: dest({ situation: 'work' }), communityBranch: null, floatingBranch: null },
    expect: { outcome: 'none', case: 'no-receiver' },
  },
];

describe('R11: where the member goes', () => {
  it.each(ROWS)('$name', ({ facts, expect: want }) => {
    const route = routeMember(facts);
    expect(route).toMatchObject(want);
    const named = want.orgId ?? want.awaitOrgId;
    if (named) expect(route.reason).toContain(named);
    expect(route.reason).toContain(facts.destination.unitName);
  });

  it('R11: the table covers every route case', () => {
    const covered = new Set(ROWS.map((r) => r.expect.case));
    expect(ROUTE_CASES.filter((c) => !covered.has(c))).toEqual([]);
    expect([...covered].filter((c) => !ROUTE_CASES.includes(c))).toEqual([]);
  });

  it('R11: every reason starts with "R11:"', () => {
    for (const row of ROWS) expect(routeMember(row.facts).reason, row.name).toMatch(/^R11: /);
  });

  it('R11: a graduate with no job is told the floating-member branch is for at most 6 months, one year at most', () => {
    const route = routeMember({ destination: dest({ situation: 'no-job' }), floatingBranch: FLOATING });
    expect(route.reason).toMatch(/6 months.*one year/);
  });

  it('R11: a unit organization that is not a branch places the member later', () => {
    expect(routeMember({ destination: dest({ situation: 'work', unitOrgId: 'unit-c' }), unitOrg: UNIT }).reason).toMatch(/places the member/);
    expect(routeMember({ destination: dest({ situation: 'work', unitOrgId: 'unit-b1' }), unitOrg: UNIT_BRANCH }).reason).not.toMatch(/places the member/);
  });

  it('R11: the destination refuses a bad locationOrgId', () => {
    const r = Destination.safeParse({ situation: 'work', unitName: 'Riverside Works', locationOrgId: 'town 1/../x' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['locationOrgId']);
  });
});
