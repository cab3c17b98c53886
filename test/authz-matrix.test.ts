// Authorization matrix over real HTTP: role x relation to the organization concerned x action. The expected
// tables below are written from the rules (R1-R9, R12, R14, R18-R21, R24) and the roles in DOMAIN.md, not derived
// from domain/authz.ts, so the two check each other. Zero unauthorized successes, and every expected success succeeds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  activeMember,
  actorToken,
  call,
  idNumber,
  importOrgs,
  newMemberToken,
  openTestCampaign,
  profile,
  seedTree,
  startSystem,
  testAward,
  testCampaignPlan,
  type CallResult,
  type System,
  type Tree,
} from './harness';

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

/** A member of branch1 who checked in themselves (so member/self is linked), approved by the branch; joined `joinDate`. */
async function selfCheckedIn(self: string, joinDate = '2021-05-04'): Promise<string> {
  const created = await call(sys.app, 'POST', '/api/check-ins', self, { branchId: tree.ids.branch1, profile: profile({ joinDate }) });
  expect(created.status).toBe(201);
  expect((await call(sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
  return created.body.memberId as string;
}

/** Any method, any body (a file, JSON); the answer's body parsed only when it is JSON. */
async function send(method: 'GET' | 'PUT', url: string, tok: string, payload?: Buffer | object, contentType?: string): Promise<CallResult> {
  const r = await sys.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${tok}`, ...(contentType ? { 'content-type': contentType } : {}) },
    ...(payload !== undefined ? { payload } : {}),
  });
  const json = String(r.headers['content-type'] ?? '').startsWith('application/json');
  return { status: r.statusCode, body: json ? r.json() : r.body.slice(0, 20) };
}

const putForm = (tok: string, memberId: string) =>
  send('PUT', `/api/members/${memberId}/application-form`, tok, Buffer.from(`%PDF-1.7 application form ${memberId}`), 'application/pdf');

const today = (days = 0) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
let prefixSeq = 0;

/**
 * Issue 13's actions, each from its rule (the actor keys name their relation to branch1 and its member): `setup`
 * prepares the cell (`self` is the cell's member token), `act` is the request, `writes` counts what a refused
 * request must not have written.
 */
interface Row {
  rule: string;
  allowed: ActorKey[];
  setup?: (self: string) => Promise<Record<string, string>>;
  act: (tok: string, ctx: Record<string, string>) => Promise<CallResult>;
  writes?: (ctx: Record<string, string>) => Promise<number>;
  /** After an allowed request: undo what would stop the next cell (one current secretary per branch). */
  undo?: (r: CallResult, ctx: Record<string, string>) => Promise<void>;
}

const count = (rows: Promise<unknown[]>) => rows.then((r) => r.length);

/** R22: the tree's campaign of this year, opened once by the first row that needs it. */
let matrixCampaign: Promise<string> | undefined;
const campaignId = () => (matrixCampaign ??= openTestCampaign(sys, tree).then((c) => c.campaignId));

const ISSUE_13: Record<string, Row> = {
  'upload an application form': {
    rule: 'R24: the branch uploads the form of its member (not the member, not a committee above)',
    allowed: ['secretary/own'],
    setup: async (self) => ({ memberId: await selfCheckedIn(self) }),
    act: (tok, c) => putForm(tok, c.memberId!),
    writes: (c) => count(sys.db.selectFrom('application_forms').select('member_id').where('member_id', '=', c.memberId!).execute()),
  },
  'read an application form': {
    rule: 'R24: the member reads their own form; the branch and every level above read it',
    allowed: ['member/self', 'secretary/own', ...SUPERVISORS],
    setup: async (self) => {
      const memberId = await selfCheckedIn(self);
      expect((await putForm(tree.tokens.sec1, memberId)).status).toBe(201);
      return { memberId };
    },
    act: (tok, c) => send('GET', `/api/members/${c.memberId}/application-form`, tok),
  },
  'read the missing application forms': {
    rule: 'R24: the list of missing forms is for the branch and every level above',
    allowed: ['secretary/own', ...SUPERVISORS],
    act: (tok) => call(sys.app, 'GET', `/api/application-forms/missing?orgId=${tree.ids.branch1}`, tok),
  },
  'enter the branch secretary as a cadre': {
    rule: 'R8/R20: an organization enters its own cadres, or its direct superior or the province for it',
    allowed: ['secretary/own', 'committee/parent', 'province/ancestor'],
    act: (tok) =>
      call(sys.app, 'POST', `/api/organizations/${tree.ids.branch1}/cadres`, tok, {
        name: '李四',
        idNumber: idNumber('19980101'),
        role: 'secretary',
        post: '书记',
        termStart: '2025-01-01',
      }),
    writes: () => count(sys.db.selectFrom('cadres').select('id').where('org_id', '=', tree.ids.branch1).execute()),
    undo: async (r) => {
      const ended = await call(sys.app, 'POST', `/api/organizations/${tree.ids.branch1}/cadres/${r.body.id}/end`, tree.tokens.province, {});
      expect(ended.status).toBe(200);
    },
  },
  'issue development numbers to the school': {
    rule: 'R19: a committee above the school issues its numbers, or the province; not the school itself',
    allowed: ['committee/ancestor', 'province/ancestor'],
    act: (tok) => {
      prefixSeq += 1;
      const prefix = `AZ${process.pid.toString(36).toUpperCase()}X${String(prefixSeq).padStart(4, '0')}`;
      return call(sys.app, 'POST', '/api/numbers/ranges', tok, { orgId: tree.ids.school1, year: 2030, prefix, count: 10 });
    },
    writes: () => count(sys.db.selectFrom('number_ranges').select('id').where('org_id', '=', tree.ids.school1).execute()),
  },
  'request a change of member data': {
    rule: 'R5: the member asks for a change of their political status, income or cadre flag',
    allowed: ['member/self'],
    setup: async (self) => ({ memberId: await selfCheckedIn(self, '2016-05-04') }),
    act: (tok, c) => call(sys.app, 'POST', `/api/members/${c.memberId}/changes`, tok, { politicalStatus: '中共预备党员' }),
    writes: (c) => count(sys.db.selectFrom('member_changes').select('process_id').where('member_id', '=', c.memberId!).execute()),
  },
  'decide a change of member data': {
    rule: "R5: the member's branch reviews the change",
    allowed: ['secretary/own'],
    setup: async (self) => {
      const memberId = await selfCheckedIn(self, '2016-05-04');
      const asked = await call(sys.app, 'POST', `/api/members/${memberId}/changes`, self, { economicIncome: '3000-5000' });
      expect(asked.status).toBe(201);
      return { memberId, processId: asked.body.processId as string };
    },
    act: (tok, c) => call(sys.app, 'POST', `/api/processes/${c.processId}/decisions`, tok, { action: 'approve' }),
    writes: (c) => count(sys.db.selectFrom('events').select('id').where('process_id', '=', c.processId!).execute()),
  },
  'open the join-date correction window': {
    rule: 'R7: only the province opens the correction window',
    allowed: ['province/ancestor'],
    act: (tok) => send('PUT', '/api/join-date-window', tok, { opensOn: today(-1), closesOn: today(30) }, 'application/json'),
    writes: () => count(sys.db.selectFrom('join_date_windows').select('id').where('province_id', '=', tree.ids.province).execute()),
  },
  'record an age-out exception': {
    rule: "R19: the member's branch records an exception to the age-out before the 28th birthday",
    allowed: ['secretary/own'],
    setup: async (self) => ({ memberId: await selfCheckedIn(self, '2016-05-04') }),
    act: (tok, c) => call(sys.app, 'POST', `/api/members/${c.memberId}/age-out-exception`, tok, { reason: 'serves as the branch secretary until June' }),
    writes: (c) => count(sys.db.selectFrom('age_out_exceptions').select('member_id').where('member_id', '=', c.memberId!).execute()),
  },
  "read the branch's health": {
    rule: 'R21: the health of an organization is read by it and every level above',
    allowed: ['secretary/own', ...SUPERVISORS],
    act: (tok) => call(sys.app, 'GET', `/api/organizations/${tree.ids.branch1}/health?list=no-secretary`, tok),
  },
  // Issue 14 (R22): yearly campaigns.
  'open a campaign': {
    rule: 'R22: only the province opens its campaign',
    allowed: ['province/ancestor'],
    act: (tok) => call(sys.app, 'POST', '/api/campaigns', tok, testCampaignPlan({ year: 2091 })),
    writes: () => count(sys.db.selectFrom('campaigns').select('id').where('province_id', '=', tree.ids.province).where('year', '=', 2091).execute()),
  },
  "read the campaign's progress of the branch": {
    rule: 'R22: the progress of an organization is read by it and every level above',
    allowed: ['secretary/own', ...SUPERVISORS],
    setup: async () => ({ campaignId: await campaignId() }),
    act: (tok, c) => call(sys.app, 'GET', `/api/campaigns/${c.campaignId}/progress?orgId=${tree.ids.branch1}`, tok),
  },
  "record a member's grade in the campaign": {
    rule: 'R22: only the branch grades its members',
    allowed: ['secretary/own'],
    setup: async (self) => ({ campaignId: await campaignId(), memberId: await selfCheckedIn(self) }),
    act: (tok, c) =>
      call(sys.app, 'PUT', `/api/campaigns/${c.campaignId}/branches/${tree.ids.branch1}/grades`, tok, {
        grades: [{ memberId: c.memberId, grade: 'qualified' }],
      }),
    writes: (c) => count(sys.db.selectFrom('campaign_grades').select('member_id').where('member_id', '=', c.memberId!).execute()),
  },
  "register the parent committee's cadres in the campaign": {
    rule: 'R22 (团干部注册): each organization registers its own cadres',
    allowed: ['committee/parent'],
    setup: async () => {
      const entered = await call(sys.app, 'POST', `/api/organizations/${tree.ids.school1}/cadres`, tree.tokens.province, {
        name: '赵六',
        idNumber: idNumber('19970101'),
        role: 'committee_member',
        post: '委员',
        termStart: '2025-01-01',
      });
      expect(entered.status).toBe(201);
      return { campaignId: await campaignId(), cadreId: entered.body.id as string };
    },
    act: (tok, c) => call(sys.app, 'PUT', `/api/campaigns/${c.campaignId}/cadres/${tree.ids.school1}`, tok, { cadreIds: [c.cadreId] }),
    writes: (c) => count(sys.db.selectFrom('campaign_cadres').select('cadre_id').where('cadre_id', '=', c.cadreId!).execute()),
  },
  // Issue 14 (R23): rewards and punishments.
  'record a reward': {
    rule: "R23: the member's branch or a committee above records a reward or a punishment",
    allowed: ['secretary/own', ...SUPERVISORS],
    setup: async (self) => ({ memberId: await selfCheckedIn(self) }),
    act: (tok, c) => call(sys.app, 'POST', `/api/members/${c.memberId}/awards`, tok, testAward()),
    writes: (c) => count(sys.db.selectFrom('awards').select('id').where('member_id', '=', c.memberId!).execute()),
  },
  "read a member's rewards and punishments": {
    rule: 'R23: the member reads their own; the branch and every level above read them',
    allowed: ['member/self', 'secretary/own', ...SUPERVISORS],
    setup: async (self) => ({ memberId: await selfCheckedIn(self) }),
    act: (tok, c) => call(sys.app, 'GET', `/api/members/${c.memberId}/awards`, tok),
  },
  "revoke the parent committee's punishment": {
    rule: 'R23: the organization that recorded a punishment or one above revokes it; not the branch below it',
    allowed: SUPERVISORS,
    setup: async (self) => {
      const memberId = await selfCheckedIn(self);
      const recorded = await call(sys.app, 'POST', `/api/members/${memberId}/awards`, tree.tokens.school1, testAward({ type: 'punishment', kind: '通报批评' }));
      expect(recorded.status).toBe(201);
      return { awardId: recorded.body.id as string };
    },
    act: (tok, c) => call(sys.app, 'POST', `/api/awards/${c.awardId}/revocation`, tok, { reason: '经复查撤销' }),
    writes: (c) => count(sys.db.selectFrom('awards').select('id').where('id', '=', c.awardId!).where('revoked_at', 'is not', null).execute()),
  },
};

/** One describe per table of rows: every actor tries each row's request on a fresh cell. */
function describeRows(title: string, rows: Record<string, Row>): void {
  describe(title, () => {
    for (const [action, row] of Object.entries(rows)) {
      it(`${row.rule}: ${action} is allowed to ${row.allowed.join(', ')} and refused to every other actor`, async () => {
        const mismatches: string[] = [];
        for (const actor of ACTORS) {
          const self = await newMemberToken(sys.app);
          const ctx = row.setup ? await row.setup(self) : {};
          const before = row.writes ? await row.writes(ctx) : 0;
          const r = await row.act(token(actor, self), ctx);
          const expectAllowed = row.allowed.includes(actor);
          const ok = expectAllowed ? r.status === 200 || r.status === 201 : r.status === 403 || r.status === 401;
          if (!ok) mismatches.push(`${actor}: expected ${expectAllowed ? '2xx' : 403}, got ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
          if (!expectAllowed && row.writes && (await row.writes(ctx)) !== before) mismatches.push(`${actor}: a refused ${action} wrote something`);
          if (expectAllowed && ok && row.undo) await row.undo(r, ctx);
        }
        expect(mismatches).toEqual([]);
      });
    }
  });
}

describeRows('authorization matrix: member data, cadres, numbers, health and forms (issue 13)', ISSUE_13);

/** Issue 20: the organization each actor names when it mints an account (its own; members and the bootstrap name none). */
const ORG_OF: Partial<Record<ActorKey, keyof Tree['ids']>> = {
  'secretary/own': 'branch1',
  'secretary/sibling': 'branch2',
  'secretary/unrelated': 'branch3',
  'committee/parent': 'school1',
  'committee/ancestor': 'city1',
  'committee/unrelated': 'county2',
  'province/ancestor': 'province',
};

describe('authorization matrix: binding accounts (issue 20)', () => {
  const allowed: ActorKey[] = ['secretary/own', ...SUPERVISORS, 'bootstrap'];
  it(`R1: minting a member account for a member of branch1 is allowed to ${allowed.join(', ')} and refused to every other actor, naming its own organization`, async () => {
    const mismatches: string[] = [];
    for (const actor of ACTORS) {
      const self = await newMemberToken(sys.app);
      const memberId = await selfCheckedIn(self);
      const org = ORG_OF[actor];
      const accounts = () => count(sys.db.selectFrom('actors').select('id').where('member_id', '=', memberId).execute());
      const before = await accounts();
      const r = await call(sys.app, 'POST', '/api/actors', token(actor, self), {
        role: 'member',
        memberId,
        label: 'matrix',
        ...(org ? { orgId: tree.ids[org] } : {}),
      });
      const expectAllowed = allowed.includes(actor);
      const ok = expectAllowed ? r.status === 201 : r.status === 403 || r.status === 401;
      if (!ok) mismatches.push(`${actor}: expected ${expectAllowed ? 201 : 403}, got ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      if ((await accounts()) !== before + (expectAllowed && ok ? 1 : 0)) mismatches.push(`${actor}: the accounts of the member changed wrongly`);
    }
    expect(mismatches).toEqual([]);
  });
});

/** R18: a case on a new member of `branchId`, taken by its secretary to the approval step (like the harness's caseAtApproval). */
async function caseAtApprovalIn(branchId: string, sec: string): Promise<string> {
  const memberId = await activeMember(sys.app, branchId, sec);
  const opened = await call(sys.app, 'POST', '/api/discipline', sec, { memberId, grounds: 'misconduct', details: 'repeated absence from league life' });
  expect(opened.status).toBe(201);
  const id = opened.body.processId as string;
  expect((await call(sys.app, 'POST', `/api/processes/${id}/decisions`, sec, { action: 'approve' })).status).toBe(200);
  expect((await call(sys.app, 'POST', `/api/discipline/${id}/talk`, sec, { heldOn: '2026-11-01', summary: 'talked with the member' })).status).toBe(200);
  const upload = await sys.app.inject({
    method: 'POST',
    url: `/api/discipline/${id}/materials`,
    headers: { authorization: `Bearer ${sec}`, 'content-type': 'application/pdf', 'x-filename': 'minutes.pdf' },
    payload: Buffer.from(`%PDF-1.4 minutes of the branch meeting ${id}`),
  });
  expect(upload.statusCode).toBe(201);
  const decided = await call(sys.app, 'POST', `/api/discipline/${id}/decision`, sec, {
    heldOn: '2026-11-05',
    sanction: 'warning',
    materialIds: [upload.json().id],
    summary: 'decided by the branch meeting',
  });
  expect(decided.status).toBe(200);
  return id;
}

describe('authorization matrix: a sanction below a general branch (issue 20)', () => {
  it('R18: a sanction is approved by the nearest committee above the branch (the school), refused to the general branch (团总支) in between, its branch, and every other committee', async () => {
    const gb = `${tree.ids.school1}-gb`;
    const branch = `${gb}-b`;
    await importOrgs(sys.app, [
      { id: gb, parentId: tree.ids.school1, name: '高二年级团总支', kind: 'general_branch' },
      { id: branch, parentId: gb, name: '高二(1)班团支部', kind: 'branch', contactPhone: '0755-12345670' },
    ]);
    const gbAdmin = await actorToken(sys.app, 'committee_admin', gb, 'general branch admin');
    const sec = await actorToken(sys.app, 'branch_secretary', branch, 'secretary below the general branch');
    const cells: [string, string, boolean][] = [
      ['the general branch above the branch', gbAdmin, false],
      ['the branch itself', sec, false],
      ['the school committee (nearest committee above)', tree.tokens.school1, true],
      ['the city committee above', tree.tokens.city1, false],
      ['an unrelated county committee', tree.tokens.county2, false],
      ['the province', tree.tokens.province, false],
    ];
    const mismatches: string[] = [];
    for (const [who, tok, allowed] of cells) {
      const id = await caseAtApprovalIn(branch, sec);
      const events = () => count(sys.db.selectFrom('events').select('id').where('process_id', '=', id).execute());
      const before = await events();
      const r = await call(sys.app, 'POST', `/api/processes/${id}/decisions`, tok, { action: 'approve' });
      const ok = allowed ? r.status === 200 : r.status === 403;
      if (!ok) mismatches.push(`${who}: expected ${allowed ? 200 : 403}, got ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`);
      const step = await sys.db.selectFrom('processes').select('step').where('id', '=', id).executeTakeFirstOrThrow();
      if (!allowed && ((await events()) !== before || step.step !== 'approval')) mismatches.push(`${who}: a refused approval moved the case`);
    }
    expect(mismatches).toEqual([]);
  });
});

/** Issue 20 (R12): rows in the shape of issue 13's, for the routes that issue adds. */
const ISSUE_20: Record<string, Row> = {
  "correct the school's graduate base": {
    rule: "R12: a committee above the school corrects a cohort's base, with a reason; not the school whose rate it measures, nor its branch",
    allowed: ['committee/ancestor', 'province/ancestor'],
    setup: async (self) => ({ memberId: await selfCheckedIn(self) }),
    act: (tok, c) =>
      call(sys.app, 'POST', '/api/stats/graduate-transfers/base-corrections', tok, {
        cohort: 2026,
        schoolId: tree.ids.school1,
        memberId: c.memberId,
        change: 'add',
        reason: 'missed by the graduation roster',
      }),
    writes: (c) => count(sys.db.selectFrom('graduate_base_corrections').select('id').where('member_id', '=', c.memberId!).execute()),
  },
};

describeRows('authorization matrix: graduate bases (issue 20)', ISSUE_20);
