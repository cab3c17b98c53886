// R1-R4 on the real Temporal server and PostgreSQL, through the HTTP API.
import { describe, expect, it } from 'vitest';
import { call, newMemberToken, profile, useSystemWithTree } from './harness';

const ctx = useSystemWithTree();

async function submit(token: string, branchId: string, prof = profile(), extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return call(ctx.sys.app, 'POST', '/api/check-ins', token, { branchId, profile: prof, ...extra }, headers);
}

async function processRow(id: string) {
  return ctx.sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirst();
}

async function eventTypes(processId: string) {
  const rows = await ctx.sys.db.selectFrom('events').select('type').where('process_id', '=', processId).orderBy('id').execute();
  return rows.map((r) => r.type);
}

describe('check-in review', () => {
  it('R1/R4: a check-in approved by its branch makes the member active and locks the four fields', async () => {
    const prof = profile();
    const created = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending');
    const { processId, memberId } = created.body;
    expect((await processRow(processId))?.status).toBe('pending');

    const decided = await call(ctx.sys.app, 'POST', `/api/processes/${processId}/decisions`, ctx.tree.tokens.sec1, { action: 'approve' });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('approved');

    const member = await call(ctx.sys.app, 'GET', `/api/members/${memberId}`, ctx.tree.tokens.sec1);
    expect(member.body).toMatchObject({ status: 'active', branchId: ctx.tree.ids.branch1, locked: true, idNumber: prof.idNumber });
    expect(member.body.lockedFields).toEqual(['name', 'idNumber', 'joinDate', 'developmentNumber']);

    const proc = await call(ctx.sys.app, 'GET', `/api/processes/${processId}`, ctx.tree.tokens.sec1);
    expect(proc.body.status).toBe('approved');
    expect(proc.body.closedAt).not.toBeNull();
    expect(proc.body.timeline.map((e: { type: string }) => e.type)).toEqual(['check-in.submitted', 'check-in.approved']);

    const wf = await ctx.sys.env.client.workflow.getHandle(`check-in-${memberId}`).result();
    expect(wf).toEqual({ processId, status: 'approved' });
  });
});

describe('check-in review: returns, withdrawals and conflicts', () => {
  it('R2: a returned check-in is corrected and resubmitted to the right branch, then approved there', async () => {
    const prof = profile();
    const memberToken = await newMemberToken(ctx.sys.app);
    const first = await submit(memberToken, ctx.tree.ids.branch1, prof);
    expect(first.status).toBe(201);
    const returned = await call(ctx.sys.app, 'POST', `/api/processes/${first.body.processId}/decisions`, ctx.tree.tokens.sec1, {
      action: 'return',
      reason: 'wrong branch: you are in class 2',
    });
    expect(returned.status).toBe(200);
    expect(returned.body.status).toBe('returned');
    const mine = await call(ctx.sys.app, 'GET', `/api/members/${first.body.memberId}`, memberToken);
    expect(mine.body.status).toBe('returned');

    const again = await submit(memberToken, ctx.tree.ids.branch2, { ...prof, name: '张三丰' });
    expect(again.status).toBe(201);
    expect(again.body.memberId).toBe(first.body.memberId);
    expect(again.body.processId).not.toBe(first.body.processId);
    // The first branch's secretary no longer decides it.
    const wrong = await call(ctx.sys.app, 'POST', `/api/processes/${again.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'approve' });
    expect(wrong.status).toBe(403);
    const ok = await call(ctx.sys.app, 'POST', `/api/processes/${again.body.processId}/decisions`, ctx.tree.tokens.sec2, { action: 'approve' });
    expect(ok.status).toBe(200);
    const member = await call(ctx.sys.app, 'GET', `/api/members/${first.body.memberId}`, memberToken);
    expect(member.body).toMatchObject({ status: 'active', branchId: ctx.tree.ids.branch2, name: '张三丰' });
    const mineList = await call(ctx.sys.app, 'GET', '/api/processes?kind=check-in', memberToken);
    expect(mineList.body.items.map((i: { status: string }) => i.status)).toEqual(['approved', 'returned']);
  });

  it('R2: a return without a reason is refused, and the check-in stays pending', async () => {
    const created = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1);
    const r = await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'return' });
    expect(r.status).toBe(400);
    expect(r.body.fields[0].field).toBe('body.reason');
    const state = await ctx.sys.env.client.workflow.getHandle(`check-in-${created.body.memberId}`).query('state');
    expect((state as { status: string }).status).toBe('pending');
  });

  it('R2: the member withdraws a pending check-in', async () => {
    const token = await newMemberToken(ctx.sys.app);
    const created = await submit(token, ctx.tree.ids.branch1);
    expect(created.status).toBe(201);
    const w = await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, token, { action: 'withdraw' });
    expect(w.status).toBe(200);
    expect(w.body.status).toBe('withdrawn');
    expect(await eventTypes(created.body.processId)).toEqual(['check-in.submitted', 'check-in.withdrawn']);
    // A secretary cannot withdraw for the member.
    const again = await submit(token, ctx.tree.ids.branch1);
    const bySec = await call(ctx.sys.app, 'POST', `/api/processes/${again.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'withdraw' });
    expect(bySec.status).toBe(403);
  });

  it('R2: a second open check-in for the same member gets 409, and nothing new is written', async () => {
    const prof = profile();
    const first = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    expect(first.status).toBe(201);
    // This person's processes and records only: other test files write processes of their own meanwhile.
    const written = async () => ({
      processes: (
        await ctx.sys.db
          .selectFrom('processes')
          .innerJoin('members', 'members.id', 'processes.member_id')
          .select('processes.id')
          .where('members.id_number', '=', prof.idNumber)
          .execute()
      ).length,
      members: (await ctx.sys.db.selectFrom('members').select('id').where('id_number', '=', prof.idNumber).execute()).length,
    });
    const before = await written();
    expect(before).toEqual({ processes: 1, members: 1 });
    const second = await submit(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, prof);
    expect(second.status).toBe(409);
    expect(second.body.rule).toBe('R2');
    expect(await written()).toEqual(before);
    const member = await ctx.sys.db.selectFrom('members').select(['branch_id']).where('id', '=', first.body.memberId).executeTakeFirstOrThrow();
    expect(member.branch_id).toBe(ctx.tree.ids.branch1);
  });

  it('R2: two approvals of the same check-in at the same moment: exactly one wins, the other gets 409', async () => {
    const created = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1);
    const url = `/api/processes/${created.body.processId}/decisions`;
    const results = await Promise.all([
      call(ctx.sys.app, 'POST', url, ctx.tree.tokens.sec1, { action: 'approve' }),
      call(ctx.sys.app, 'POST', url, ctx.tree.tokens.sec1, { action: 'return', reason: 'incomplete' }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const decisions = (await eventTypes(created.body.processId)).filter((t) => t !== 'check-in.submitted');
    expect(decisions).toHaveLength(1);
  });

  it('R1: the same Idempotency-Key and body return the same result without a second process', async () => {
    const prof = profile();
    const headers = { 'idempotency-key': `key-${prof.idNumber.slice(-6)}` };
    const a = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof, {}, headers);
    const b = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof, {}, headers);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    const rows = await ctx.sys.db.selectFrom('processes').select('id').where('member_id', '=', a.body.memberId).execute();
    expect(rows).toHaveLength(1);
    const other = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, { ...prof, name: '李四' }, {}, headers);
    expect(other.status).toBe(422);
  });
});

describe('check-in review: authorization', () => {
  it('R1: a secretary of another branch gets 403 on a decision, and so does a member deciding their own check-in', async () => {
    const memberToken = await newMemberToken(ctx.sys.app);
    const created = await submit(memberToken, ctx.tree.ids.branch1);
    expect(created.status).toBe(201);
    const url = `/api/processes/${created.body.processId}/decisions`;
    const other = await call(ctx.sys.app, 'POST', url, ctx.tree.tokens.sec3, { action: 'approve' });
    expect(other.status).toBe(403);
    const own = await call(ctx.sys.app, 'POST', url, memberToken, { action: 'approve' });
    expect(own.status).toBe(403);
    const cityAdmin = await call(ctx.sys.app, 'POST', url, ctx.tree.tokens.city1, { action: 'approve' });
    expect(cityAdmin.status).toBe(403);
    const noToken = await call(ctx.sys.app, 'POST', url, undefined, { action: 'approve' });
    expect(noToken.status).toBe(401);
    expect((await processRow(created.body.processId))?.status).toBe('pending');
  });

  it('R1: a secretary cannot enter a check-in into another branch', async () => {
    const r = await submit(ctx.tree.tokens.sec3, ctx.tree.ids.branch1);
    expect(r.status).toBe(403);
  });
});

describe('check-in review: validation persists nothing', () => {
  it('R1: an invalid ID number gets 400 naming the field, and no member, event or process row exists afterwards', async () => {
    const prof = profile();
    const bad = prof.idNumber.slice(0, 17) + (prof.idNumber[17] === '0' ? '1' : '0');
    const before = await counts();
    const r = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, { ...prof, idNumber: bad });
    expect(r.status).toBe(400);
    expect(r.body.fields.map((f: { field: string }) => f.field)).toContain('body.profile.idNumber');
    expect(await counts()).toEqual(before);
    expect(await ctx.sys.db.selectFrom('members').select('id').where('id_number', '=', bad).executeTakeFirst()).toBeUndefined();
  });

  it('R19: a member younger than 14 at the join date gets 422 naming the rule', async () => {
    const r = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: '2012-06-01' }));
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R19');
    expect(r.body.fields[0].field).toBe('profile.joinDate');
  });

  it('R19: a member who joined in 2017 or later needs a development number, and it is unique', async () => {
    const missing = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: '2018-05-04', developmentNumber: undefined }));
    expect(missing.status).toBe(422);
    expect(missing.body.fields[0].field).toBe('profile.developmentNumber');
    const first = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1);
    const dup = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ developmentNumber: (await memberDev(first.body.memberId))! }));
    expect(dup.status).toBe(422);
    expect(dup.body.rule).toBe('R19');
  });

  it('R19: a join date in the future gets 422', async () => {
    const r = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: '2999-01-01' }));
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R19');
  });

  it('R1: a check-in to a committee, not a branch, gets 422', async () => {
    const r = await submit(ctx.tree.tokens.school1, ctx.tree.ids.school1);
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R1');
  });
});

describe('member data after approval', () => {
  it('R4: after approval a PATCH of the name gets 422 naming the field; R6: other data changes directly', async () => {
    const created = await submit(ctx.tree.tokens.sec2, ctx.tree.ids.branch2);
    await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec2, { action: 'approve' });
    const url = `/api/members/${created.body.memberId}`;
    const locked = await call(ctx.sys.app, 'PATCH', url, ctx.tree.tokens.sec2, { name: '王五', joinDate: '2016-01-01' });
    expect(locked.status).toBe(422);
    expect(locked.body.rule).toBe('R4');
    expect(locked.body.fields.map((f: { field: string }) => f.field)).toEqual(['body.name', 'body.joinDate']);
    const reviewed = await call(ctx.sys.app, 'PATCH', url, ctx.tree.tokens.sec2, { politicalStatus: '中共党员' });
    expect(reviewed.status).toBe(422);
    expect(reviewed.body.rule).toBe('R5');
    const free = await call(ctx.sys.app, 'PATCH', url, ctx.tree.tokens.sec2, { address: '深圳市福田区', occupation: '学生' });
    expect(free.status).toBe(200);
    expect(free.body.details).toMatchObject({ address: '深圳市福田区', occupation: '学生' });
    const row = await ctx.sys.db.selectFrom('members').select('name').where('id', '=', created.body.memberId).executeTakeFirstOrThrow();
    expect(row.name).toBe('张三');
  });

  it('PII: a supervisor sees the member with a masked ID number; an unrelated county gets 403', async () => {
    const prof = profile();
    const created = await submit(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    const city = await call(ctx.sys.app, 'GET', `/api/members/${created.body.memberId}`, ctx.tree.tokens.city1);
    expect(city.status).toBe(200);
    expect(city.body.idNumberMasked).toBe(true);
    expect(city.body.idNumber).not.toBe(prof.idNumber);
    expect(city.body.idNumber).toMatch(/^\d{4}\*+/);
    const county = await call(ctx.sys.app, 'GET', `/api/members/${created.body.memberId}`, ctx.tree.tokens.county2);
    expect(county.status).toBe(403);
  });
});

/** Rows of this file's own tree: other test files write to the same database at the same time. */
async function counts() {
  const orgs = Object.values(ctx.tree.ids);
  const n = async (t: 'members' | 'events' | 'processes', column: 'branch_id' | 'org_id') =>
    (
      await ctx.sys.db
        .selectFrom(t)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where(column, 'in', orgs)
        .executeTakeFirstOrThrow()
    ).n;
  return { members: await n('members', 'branch_id'), events: await n('events', 'org_id'), processes: await n('processes', 'org_id') };
}

async function memberDev(id: string) {
  return (await ctx.sys.db.selectFrom('members').select('development_number').where('id', '=', id).executeTakeFirstOrThrow()).development_number;
}
