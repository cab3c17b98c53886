// Issue 20: who binds an account to a member record, and whose record a check-in may touch (R1, R2), on the real
// Temporal server and PostgreSQL, through the HTTP API.
import { describe, expect, it } from 'vitest';
import { activeMember, call, devNumber, newMemberToken, profile, useSystemWithTree } from './harness';

const ctx = useSystemWithTree();

const mint = (token: string, body: Record<string, unknown>) => call(ctx.sys.app, 'POST', '/api/actors', token, { role: 'member', label: 'member', ...body });
const checkIn = (token: string, branchId: string, prof: Record<string, unknown>) =>
  call(ctx.sys.app, 'POST', '/api/check-ins', token, { branchId, profile: prof });
const decide = (processId: string, token: string, body: Record<string, unknown>) =>
  call(ctx.sys.app, 'POST', `/api/processes/${processId}/decisions`, token, body);

/** The accounts linked to a member record. */
const accountsOf = (memberId: string) => ctx.sys.db.selectFrom('actors').select('id').where('member_id', '=', memberId).execute();
const recordOf = (memberId: string) =>
  ctx.sys.db.selectFrom('members').select(['name', 'development_number', 'branch_id', 'status']).where('id', '=', memberId).executeTakeFirstOrThrow();
const processesOf = (memberId: string) => ctx.sys.db.selectFrom('processes').select('id').where('member_id', '=', memberId).execute();

/** A member who checked in with their own (new) account, and whose branch returned the check-in (R2). */
async function returnedSelfCheckIn(branchId: string, secretary: string) {
  const token = await newMemberToken(ctx.sys.app);
  const prof = profile();
  const created = await checkIn(token, branchId, prof);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect((await decide(created.body.processId, secretary, { action: 'return', reason: 'wrong class' })).status).toBe(200);
  return { token, prof, memberId: created.body.memberId as string };
}

describe('binding an account to a member record (issue 20)', () => {
  it('R1: a committee or branch of another subtree cannot mint a member account for a member (403 naming R1), whatever organization it names; nothing is written', async () => {
    const { ids, tokens } = ctx.tree;
    const memberId = await activeMember(ctx.sys.app, ids.branch1, tokens.sec1);
    const before = (await accountsOf(memberId)).length;
    for (const [who, token, orgId] of [
      ["another city's county, naming itself", tokens.county2, ids.county2],
      ["another city's county, naming no organization", tokens.county2, undefined],
      ["another city's county, naming the member's branch", tokens.county2, ids.branch1],
      ['a sibling branch, naming itself', tokens.sec2, ids.branch2],
      ['an unrelated branch, naming itself', tokens.sec3, ids.branch3],
    ] as const) {
      const r = await mint(token, { memberId, ...(orgId ? { orgId } : {}) });
      expect(r.status, `${who}: ${JSON.stringify(r.body)}`).toBe(403);
    }
    const named = await mint(tokens.county2, { memberId, orgId: ids.county2 });
    expect(named.body).toMatchObject({ kind: 'forbidden', rule: 'R1' });
    expect((await accountsOf(memberId)).length).toBe(before);
  });

  it("R1: the member's branch (its secretary) or a committee above it links an account to the record; the account acts for that member only", async () => {
    const { ids, tokens } = ctx.tree;
    const memberId = await activeMember(ctx.sys.app, ids.branch1, tokens.sec1);
    const other = await activeMember(ctx.sys.app, ids.branch1, tokens.sec1);
    for (const [who, token, orgId] of [
      ["the member's branch", tokens.sec1, undefined],
      ['the school committee above, naming itself', tokens.school1, ids.school1],
      ['the city committee above', tokens.city1, undefined],
    ] as const) {
      const r = await mint(token, { memberId, ...(orgId ? { orgId } : {}) });
      expect(r.status, `${who}: ${JSON.stringify(r.body)}`).toBe(201);
      expect((await call(ctx.sys.app, 'GET', `/api/members/${memberId}`, r.body.token)).status, who).toBe(200);
      expect((await call(ctx.sys.app, 'GET', `/api/members/${other}`, r.body.token)).status, who).toBe(403);
    }
    expect((await accountsOf(memberId)).length).toBe(3);
  });
});

describe('a check-in never takes over a record (issue 20)', () => {
  it("R1: an unlinked member account checking in with a returned member's ID number is refused 403 naming R1: the record keeps its profile, branch and account", async () => {
    const { ids, tokens } = ctx.tree;
    const a = await returnedSelfCheckIn(ids.branch1, tokens.sec1);
    const stranger = await newMemberToken(ctx.sys.app);
    const r = await checkIn(stranger, ids.branch2, { ...a.prof, name: '李四', developmentNumber: devNumber() });
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.rule).toBe('R1');
    expect(await recordOf(a.memberId)).toEqual({ name: a.prof.name, development_number: a.prof.developmentNumber, branch_id: ids.branch1, status: 'returned' });
    expect((await accountsOf(a.memberId)).length).toBe(1);
    expect((await processesOf(a.memberId)).length).toBe(1);
    // The stranger's account stays unlinked: it reads nothing of the record.
    expect((await call(ctx.sys.app, 'GET', `/api/members/${a.memberId}`, stranger)).status).toBe(403);
    // The member's own account checks in again (R2).
    const again = await checkIn(a.token, ids.branch1, a.prof);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.memberId).toBe(a.memberId);
  });

  it('R1: an unlinked member account does not adopt a record its branch entered; the branch links an account to it, which then checks in', async () => {
    const { ids, tokens } = ctx.tree;
    const prof = profile();
    const entered = await checkIn(tokens.sec1, ids.branch1, prof);
    expect(entered.status).toBe(201);
    const memberId = entered.body.memberId as string;
    expect((await decide(entered.body.processId, tokens.sec1, { action: 'return', reason: 'photo missing' })).status).toBe(200);

    const unlinked = await newMemberToken(ctx.sys.app);
    const adopted = await checkIn(unlinked, ids.branch1, prof);
    expect(adopted.status, JSON.stringify(adopted.body)).toBe(403);
    expect(adopted.body.rule).toBe('R1');
    expect((await accountsOf(memberId)).length).toBe(0);

    const linked = await mint(tokens.sec1, { memberId });
    expect(linked.status, JSON.stringify(linked.body)).toBe(201);
    const own = await checkIn(linked.body.token, ids.branch1, prof);
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect(own.body.memberId).toBe(memberId);
  });

  it("R2: another branch's check-in does not rewrite a member's returned record (403 naming R2 and the field); with the recorded data it goes on", async () => {
    const { ids, tokens } = ctx.tree;
    const a = await returnedSelfCheckIn(ids.branch1, tokens.sec1);
    const rewritten = await checkIn(tokens.sec2, ids.branch2, { ...a.prof, name: '王五' });
    expect(rewritten.status, JSON.stringify(rewritten.body)).toBe(403);
    expect(rewritten.body).toMatchObject({ rule: 'R2', fields: [{ field: 'body.profile.name', rule: 'R2' }] });
    expect(await recordOf(a.memberId)).toEqual({ name: a.prof.name, development_number: a.prof.developmentNumber, branch_id: ids.branch1, status: 'returned' });
    expect((await processesOf(a.memberId)).length).toBe(1);
    // R2: the right branch enters the check-in of the member who chose the wrong one, as recorded.
    const kept = await checkIn(tokens.sec2, ids.branch2, a.prof);
    expect(kept.status, JSON.stringify(kept.body)).toBe(201);
    expect(kept.body.memberId).toBe(a.memberId);
  });
});
