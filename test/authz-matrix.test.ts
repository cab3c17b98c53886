// Authorization matrix over real HTTP: role x relation to the organization concerned x action. The expected
// table below is written from the rules (R1-R4, R8), not derived from domain/authz.ts, so the two check each
// other. Zero unauthorized successes, and every expected success succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, newMemberToken, profile, seedTree, startSystem, type System, type Tree } from './harness';

let sys: System;
let tree: Tree;
let otherMember: string;

type ActorKey =
  | 'member/self'
  | 'member/other'
  | 'secretary/own'
  | 'secretary/sibling'
  | 'secretary/unrelated'
  | 'committee/parent'
  | 'committee/ancestor'
  | 'committee/unrelated'
  | 'province/ancestor'
  | 'bootstrap';

const ACTORS: ActorKey[] = [
  'member/self',
  'member/other',
  'secretary/own',
  'secretary/sibling',
  'secretary/unrelated',
  'committee/parent',
  'committee/ancestor',
  'committee/unrelated',
  'province/ancestor',
  'bootstrap',
];

const SUPERVISORS: ActorKey[] = ['committee/parent', 'committee/ancestor', 'province/ancestor'];

/** Who may do what to a pending check-in in branch1 (and, for org.read, to branch1's parent committee). */
const EXPECTED: Record<string, { rule: string; allowed: ActorKey[] }> = {
  approve: { rule: 'R1: only the branch reviews', allowed: ['secretary/own'] },
  return: { rule: 'R2: only the branch returns', allowed: ['secretary/own'] },
  withdraw: { rule: 'R2: only the member withdraws', allowed: ['member/self'] },
  extend: { rule: 'R3: a committee above extends', allowed: SUPERVISORS },
  'read process': { rule: 'R3: the member, the branch and every supervisor above', allowed: ['member/self', 'secretary/own', ...SUPERVISORS] },
  'read member': { rule: 'R8: the member, the branch and every supervisor above', allowed: ['member/self', 'secretary/own', ...SUPERVISORS] },
  'edit member': { rule: 'R6: the member, or the branch for them', allowed: ['member/self', 'secretary/own'] },
  // The child relation: a secretary of branch1 reading its parent committee (school1).
  'read parent org': { rule: 'R20: a committee is read by itself and those above', allowed: ['committee/parent', 'committee/ancestor', 'province/ancestor'] },
};

function token(actor: ActorKey, self: string): string {
  switch (actor) {
    case 'member/self': return self;
    case 'member/other': return otherMember;
    case 'secretary/own': return tree.tokens.sec1;
    case 'secretary/sibling': return tree.tokens.sec2;
    case 'secretary/unrelated': return tree.tokens.sec3;
    case 'committee/parent': return tree.tokens.school1;
    case 'committee/ancestor': return tree.tokens.city1;
    case 'committee/unrelated': return tree.tokens.county2;
    case 'province/ancestor': return tree.tokens.province;
    case 'bootstrap': return ADMIN_TOKEN;
  }
}

async function act(action: string, tok: string, c: { processId: string; memberId: string }) {
  const decide = (body: object) => call(sys.app, 'POST', `/api/processes/${c.processId}/decisions`, tok, body);
  switch (action) {
    case 'approve': return decide({ action: 'approve' });
    case 'return': return decide({ action: 'return', reason: 'wrong class' });
    case 'withdraw': return decide({ action: 'withdraw' });
    case 'extend': return decide({ action: 'extend', reason: 'exams', until: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    case 'read process': return call(sys.app, 'GET', `/api/processes/${c.processId}`, tok);
    case 'read member': return call(sys.app, 'GET', `/api/members/${c.memberId}`, tok);
    case 'edit member': return call(sys.app, 'PATCH', `/api/members/${c.memberId}`, tok, { address: '深圳' });
    case 'read parent org': return call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}`, tok);
    default: throw new Error(action);
  }
}

beforeAll(async () => {
  sys = await startSystem();
  tree = await seedTree(sys.app);
  otherMember = await newMemberToken(sys.app);
  const r = await call(sys.app, 'POST', '/api/check-ins', otherMember, { branchId: tree.ids.branch2, profile: profile() });
  expect(r.status).toBe(201);
});
afterAll(async () => {
  await sys?.stop();
});

describe('authorization matrix', () => {
  for (const [action, { rule, allowed }] of Object.entries(EXPECTED)) {
    it(`${rule}: ${action} is allowed to ${allowed.join(', ')} and refused to every other actor`, async () => {
      const mismatches: string[] = [];
      for (const actor of ACTORS) {
        // A fresh pending check-in per cell, submitted by its own member.
        const self = await newMemberToken(sys.app);
        const created = await call(sys.app, 'POST', '/api/check-ins', self, { branchId: tree.ids.branch1, profile: profile() });
        expect(created.status).toBe(201);
        const before = await sys.db.selectFrom('events').select('id').where('process_id', '=', created.body.processId).execute();
        const r = await act(action, token(actor, self), created.body);
        const expectAllowed = allowed.includes(actor);
        const ok = expectAllowed ? r.status === 200 : r.status === 403 || r.status === 401;
        if (!ok) mismatches.push(`${actor}: expected ${expectAllowed ? 200 : 403}, got ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
        if (!expectAllowed) {
          const after = await sys.db.selectFrom('events').select('id').where('process_id', '=', created.body.processId).execute();
          if (after.length !== before.length) mismatches.push(`${actor}: a refused ${action} wrote an event`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  }
});
