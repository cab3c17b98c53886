// Authorization matrix over real HTTP: role x relation to the organization concerned x action. The expected
// tables below are written from the rules (R1-R4, R9, R14, R18, R20) and the roles in DOMAIN.md, not derived
// from domain/authz.ts, so the two check each other. Zero unauthorized successes, and every expected success succeeds.
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
  'read member': {
    rule: 'access: the member, the branch and every supervisor above (committee admins supervise everything below them)',
    allowed: ['member/self', 'secretary/own', ...SUPERVISORS],
  },
  'edit member': { rule: 'R6: the member, or the branch for them', allowed: ['member/self', 'secretary/own'] },
  // The child relation: a secretary of branch1 reading its parent committee (school1).
  'read parent org': { rule: 'R20: a committee is read by itself and those above', allowed: ['committee/parent', 'committee/ancestor', 'province/ancestor'] },
};

function token(actor: ActorKey, self: string): string {
  switch (actor) {
    case 'member/self':
      return self;
    case 'member/other':
      return otherMember;
    case 'secretary/own':
      return tree.tokens.sec1;
    case 'secretary/sibling':
      return tree.tokens.sec2;
    case 'secretary/unrelated':
      return tree.tokens.sec3;
    case 'committee/parent':
      return tree.tokens.school1;
    case 'committee/ancestor':
      return tree.tokens.city1;
    case 'committee/unrelated':
      return tree.tokens.county2;
    case 'province/ancestor':
      return tree.tokens.province;
    case 'bootstrap':
      return ADMIN_TOKEN;
  }
}

async function act(action: string, tok: string, c: { processId: string; memberId: string }) {
  const decide = (body: object) => call(sys.app, 'POST', `/api/processes/${c.processId}/decisions`, tok, body);
  switch (action) {
    case 'approve':
      return decide({ action: 'approve' });
    case 'return':
      return decide({ action: 'return', reason: 'wrong class' });
    case 'withdraw':
      return decide({ action: 'withdraw' });
    case 'extend':
      return decide({ action: 'extend', reason: 'exams', until: new Date(Date.now() + 30 * 86_400_000).toISOString() });
    case 'read process':
      return call(sys.app, 'GET', `/api/processes/${c.processId}`, tok);
    case 'read member':
      return call(sys.app, 'GET', `/api/members/${c.memberId}`, tok);
    case 'edit member':
      return call(sys.app, 'PATCH', `/api/members/${c.memberId}`, tok, { address: '深圳' });
    case 'read parent org':
      return call(sys.app, 'GET', `/api/organizations/${tree.ids.school1}`, tok);
    default:
      throw new Error(action);
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

/** Who may act on an active member of branch1 (R9, R14, R18): written from the rules, like the table above. */
const ACTIVE: Record<string, { rule: string; allowed: ActorKey[] }> = {
  // The sibling branch (branch2) is the receiving organization here: its secretary may start it too.
  'start a transfer to the sibling branch': {
    rule: 'R9: the member, the sending branch, or the receiving side (its secretary or an admin above it)',
    allowed: ['member/self', 'secretary/own', 'secretary/sibling', 'committee/parent', 'committee/ancestor', 'province/ancestor'],
  },
  'release a transfer': { rule: 'R9: the sending branch releases', allowed: ['secretary/own'] },
  'apply for a deletion': { rule: 'R14: the branch applies', allowed: ['secretary/own'] },
  'open a disciplinary case': { rule: 'R18: the branch opens a case', allowed: ['secretary/own'] },
  'record a dues payment': { rule: 'R18: the branch or a committee above records dues', allowed: ['secretary/own', ...SUPERVISORS] },
};

async function actOnActive(action: string, tok: string, memberId: string) {
  const month = new Date().toISOString().slice(0, 7);
  switch (action) {
    case 'start a transfer to the sibling branch':
      return call(sys.app, 'POST', '/api/transfers', tok, { memberId, toOrgId: tree.ids.branch2 });
    case 'release a transfer': {
      const t = await call(sys.app, 'POST', '/api/transfers', tree.tokens.sec1, { memberId, toOrgId: tree.ids.branch2 });
      expect(t.status).toBe(201);
      return call(sys.app, 'POST', `/api/processes/${t.body.processId}/decisions`, tok, { action: 'approve' });
    }
    case 'apply for a deletion':
      return call(sys.app, 'POST', '/api/deletions', tok, { memberId, category: 'left', reason: 'moved away' });
    case 'open a disciplinary case':
      return call(sys.app, 'POST', '/api/discipline', tok, { memberId, grounds: 'misconduct', details: 'x' });
    case 'record a dues payment':
      return call(sys.app, 'POST', '/api/dues/payments', tok, { memberId, month, amountCents: 50 });
    default:
      throw new Error(action);
  }
}

describe('authorization matrix: an active member', () => {
  for (const [action, { rule, allowed }] of Object.entries(ACTIVE)) {
    it(`${rule}: ${action} is allowed to ${allowed.join(', ')} and refused to every other actor`, async () => {
      const mismatches: string[] = [];
      for (const actor of ACTORS) {
        // A fresh active member per cell, who checked in themselves (so member/self is linked).
        const self = await newMemberToken(sys.app);
        const created = await call(sys.app, 'POST', '/api/check-ins', self, { branchId: tree.ids.branch1, profile: profile() });
        expect(created.status).toBe(201);
        expect((await call(sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
        const memberId = created.body.memberId as string;
        const r = await actOnActive(action, token(actor, self), memberId);
        const expectAllowed = allowed.includes(actor);
        const ok = expectAllowed ? r.status === 200 || r.status === 201 : r.status === 403 || r.status === 401;
        if (!ok) mismatches.push(`${actor}: expected ${expectAllowed ? '2xx' : 403}, got ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
      }
      expect(mismatches).toEqual([]);
    });
  }
});

/**
 * Who may edit organization data (R20: "who creates it is responsible for it; the direct superior edits its
 * subordinates' data"; R13: a missing contact phone is reported to the organization and its parent, who must be
 * able to enter it). The actor keys name their relation to branch1; school1 is branch1's parent committee.
 */
const ORG_DATA: Record<string, { rule: string; allowed: ActorKey[] }> = {
  "edit a branch's contact phone": {
    rule: 'R20/R13: the branch itself, its direct superior (the parent committee) and the province that imports the tree',
    allowed: ['secretary/own', 'committee/parent', 'province/ancestor', 'bootstrap'],
  },
  "edit a branch's name": {
    rule: "R20: the direct superior edits its subordinates' data, not the branch itself nor a committee further up",
    allowed: ['committee/parent', 'province/ancestor', 'bootstrap'],
  },
  // school1's own admin is committee/parent; city1 (committee/ancestor) is above county1, not school1's direct superior.
  "edit the parent committee's contact phone": {
    rule: 'R20/R13: a committee enters its own contact phone; a committee above its direct superior does not',
    allowed: ['committee/parent', 'province/ancestor', 'bootstrap'],
  },
  "edit the parent committee's name": {
    rule: 'R20: a committee does not rename itself; its direct superior or the province does',
    allowed: ['province/ancestor', 'bootstrap'],
  },
};

let phoneSeq = 0;
function orgEdit(action: string): { orgId: string; body: object } {
  phoneSeq += 1;
  const phone = `0755-6${String(phoneSeq).padStart(7, '0')}`;
  switch (action) {
    case "edit a branch's contact phone":
      return { orgId: tree.ids.branch1, body: { contactPhone: phone } };
    case "edit a branch's name":
      return { orgId: tree.ids.branch1, body: { name: `高一(1)班团支部 ${phoneSeq}` } };
    case "edit the parent committee's contact phone":
      return { orgId: tree.ids.school1, body: { contactPhone: phone } };
    case "edit the parent committee's name":
      return { orgId: tree.ids.school1, body: { name: `某中学团委 ${phoneSeq}` } };
    default:
      throw new Error(action);
  }
}

describe('authorization matrix: organization data', () => {
  for (const [action, { rule, allowed }] of Object.entries(ORG_DATA)) {
    it(`${rule}: ${action} is allowed to ${allowed.join(', ')} and refused to every other actor`, async () => {
      const mismatches: string[] = [];
      for (const actor of ACTORS) {
        const self = await newMemberToken(sys.app);
        const { orgId, body } = orgEdit(action);
        const updates = () => sys.db.selectFrom('events').select('id').where('org_id', '=', orgId).where('type', '=', 'org.updated').execute();
        const before = await updates();
        const r = await call(sys.app, 'PATCH', `/api/organizations/${orgId}`, token(actor, self), body);
        const expectAllowed = allowed.includes(actor);
        const ok = expectAllowed ? r.status === 200 : r.status === 403 || r.status === 401;
        if (!ok) mismatches.push(`${actor}: expected ${expectAllowed ? 200 : 403}, got ${r.status} ${JSON.stringify(r.body).slice(0, 120)}`);
        const after = await updates();
        if (after.length !== before.length + (expectAllowed ? 1 : 0))
          mismatches.push(`${actor}: ${after.length - before.length} org.updated events for one ${expectAllowed ? 'allowed' : 'refused'} edit`);
      }
      expect(mismatches).toEqual([]);
    });
  }
});
