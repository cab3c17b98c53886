// A new check-in for a member record that already exists, by its status (domain/member-status.ts): R16 (deleted
// from the wrong branch, checks in to the right one), R10 (back from another province), R2 (one open check-in),
// R9 (active: a transfer), R14 (final deletions) and R18 (a sanction stands), on the real server and PostgreSQL.
import { describe, expect, it } from 'vitest';
import { activeMember, call, memberActorToken, profile, useSystemWithTree } from './harness';
import { MEMBER_STATUSES, MEMBER_STATUS_TABLE, checkInAdmission } from '../domain/member-status';

const ctx = useSystemWithTree();

const checkIn = (token: string, branchId: string, prof: object, extra: object = {}) =>
  call(ctx.sys.app, 'POST', '/api/check-ins', token, { branchId, profile: prof, ...extra });
const decide = (id: string, token: string, body: object) => call(ctx.sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const memberRow = (id: string) => ctx.sys.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const memberToken = (memberId: string) => memberActorToken(ctx.sys.app, memberId);
const explanation = 'The check-in was approved in 高一(1)班 by mistake; the member belongs to 高一(2)班 and checks in there.';

/** Everything written about a member: its processes and events, and the record itself. */
async function footprint(memberId: string) {
  const processes = await ctx.sys.db.selectFrom('processes').select(['id', 'status']).where('member_id', '=', memberId).orderBy('id').execute();
  const events = await ctx.sys.db.selectFrom('events').select('id').where('member_id', '=', memberId).execute();
  const { updated_at: _updated, ...member } = await memberRow(memberId);
  return { processes, events: events.length, member };
}

/** R14/R16: the branch applies, the city forwards, the province approves: the member is deleted. */
async function deleteMember(memberId: string, category = 'wrong-branch') {
  const applied = await call(ctx.sys.app, 'POST', '/api/deletions', ctx.tree.tokens.sec1, {
    memberId,
    category,
    reason: 'approved in the wrong branch',
    explanation,
  });
  expect(applied.status, JSON.stringify(applied.body)).toBe(201);
  const id = applied.body.processId as string;
  expect((await decide(id, ctx.tree.tokens.city1, { action: 'approve' })).status).toBe(200);
  expect((await decide(id, ctx.tree.tokens.province, { action: 'approve' })).body.status).toBe('approved');
  expect((await memberRow(memberId)).status).toBe('deleted');
  return id;
}

describe('the member-status table', () => {
  it('every status a member record can have says whether a new check-in may start and what approval does', () => {
    for (const s of MEMBER_STATUSES) expect(MEMBER_STATUS_TABLE[s], s).toBeDefined();
    expect(checkInAdmission(undefined)).toBe('first');
    expect(checkInAdmission('deleted', { deletedAs: 'wrong-branch' })).toBe('again');
    expect(checkInAdmission('deleted', { deletedAs: 'deceased' })).toMatchObject({ kind: 'rule', rule: 'R14' });
    expect(checkInAdmission('expelled')).toMatchObject({ kind: 'rule', rule: 'R18' });
    expect(() => checkInAdmission('unheard-of')).toThrow();
  });
});

describe('R16 a member deleted from the wrong branch', () => {
  it('R16: a member deleted from the wrong branch checks in to the right branch; the approval makes them active there, the locked fields keep their values, and the history shows both memberships', async () => {
    const prof = profile();
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, prof);
    const first = await ctx.sys.db
      .selectFrom('processes')
      .select('id')
      .where('member_id', '=', memberId)
      .where('kind', '=', 'check-in')
      .executeTakeFirstOrThrow();
    const before = await memberRow(memberId);
    const deletionId = await deleteMember(memberId);

    const again = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, { ...prof, phone: '13900139000' });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.memberId).toBe(memberId);
    const processId = again.body.processId as string;
    // Until the right branch approves, the record stays deleted in the old branch.
    expect(await memberRow(memberId)).toMatchObject({ status: 'deleted', branch_id: ctx.tree.ids.branch1 });

    const approved = await decide(processId, ctx.tree.tokens.sec2, { action: 'approve' });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');

    const read = await call(ctx.sys.app, 'GET', `/api/members/${memberId}`, ctx.tree.tokens.sec2);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      status: 'active',
      branchId: ctx.tree.ids.branch2,
      name: prof.name,
      idNumber: prof.idNumber,
      joinDate: prof.joinDate,
      developmentNumber: prof.developmentNumber,
      locked: true,
    });
    expect(read.body.details).toMatchObject({ phone: '13900139000' });
    const after = await memberRow(memberId);
    expect(after.deleted_at).toBeNull();
    // R4: never unlocked; locked_at is the new membership's activation (the dues streak counts from it, R18).
    expect(after.locked_at!.getTime()).toBeGreaterThan(before.locked_at!.getTime());

    // Both memberships in the history: the first check-in (branch 1), the deletion, the new check-in (branch 2).
    const mine = await call(ctx.sys.app, 'GET', '/api/processes', await memberToken(memberId));
    expect(mine.body.items.map((i: { id: string; kind: string; status: string; orgId: string }) => [i.id, i.kind, i.status])).toEqual([
      [processId, 'check-in', 'approved'],
      [deletionId, 'deletion', 'approved'],
      [first.id, 'check-in', 'approved'],
    ]);
    const old = await call(ctx.sys.app, 'GET', `/api/processes/${first.id}`, ctx.tree.tokens.city1);
    expect(old.body).toMatchObject({ orgId: ctx.tree.ids.branch1, status: 'approved' });
    expect(old.body.timeline.map((e: { type: string }) => e.type)).toEqual(['check-in.submitted', 'check-in.approved']);
    const timeline = await call(ctx.sys.app, 'GET', `/api/processes/${processId}`, ctx.tree.tokens.sec2);
    expect(timeline.body.timeline.map((e: { type: string }) => e.type)).toEqual(['check-in.submitted', 'check-in.approved']);
    expect(timeline.body.timeline[0].payload).toMatchObject({
      branchId: ctx.tree.ids.branch2,
      previous: { status: 'deleted', branchId: ctx.tree.ids.branch1 },
    });
  });

  it('R16/R2: a new check-in of a deleted member that the branch returns leaves the record deleted in the old branch; corrected, it is approved', async () => {
    const prof = profile();
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, prof);
    await deleteMember(memberId);
    const again = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, prof);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    // R2: one open check-in per member.
    const twice = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    expect(twice.status).toBe(409);
    expect(twice.body.rule).toBe('R2');
    expect((await decide(again.body.processId, ctx.tree.tokens.sec2, { action: 'return', reason: 'attach the explanation' })).body.status).toBe('returned');
    expect(await memberRow(memberId)).toMatchObject({ status: 'deleted', branch_id: ctx.tree.ids.branch1 });

    const third = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, prof);
    expect(third.status, JSON.stringify(third.body)).toBe(201);
    expect((await decide(third.body.processId, ctx.tree.tokens.sec2, { action: 'approve' })).status).toBe(200);
    expect(await memberRow(memberId)).toMatchObject({ status: 'active', branch_id: ctx.tree.ids.branch2, deleted_at: null });
  });

  it('R16/R4: a new check-in of a deleted member that changes a locked field is refused with 422 naming the fields, and nothing is persisted', async () => {
    const prof = profile();
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, prof);
    await deleteMember(memberId);
    const before = await footprint(memberId);
    const r = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, { ...prof, name: '张三丰', joinDate: '2016-06-01' });
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R4');
    expect(r.body.fields.map((f: { field: string }) => f.field)).toEqual(['body.profile.name', 'body.profile.joinDate']);
    expect(await footprint(memberId)).toEqual(before);
  });

  it('R14: a member deleted as deceased cannot check in again (422 R14), nothing persisted', async () => {
    const prof = profile();
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, prof);
    await deleteMember(memberId, 'deceased');
    const before = await footprint(memberId);
    const r = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, prof);
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R14');
    expect(await footprint(memberId)).toEqual(before);
  });
});

describe('a new check-in by member status', () => {
  it('R10: a member who left for another province and comes back checks in here; the approval makes them active in the new branch with the locked fields unchanged', async () => {
    const prof = profile();
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, prof);
    // As the outbound transfer's completion leaves it (cross-province.test.ts covers the transfer itself).
    await ctx.sys.db.updateTable('members').set({ status: 'transferred_out' }).where('id', '=', memberId).execute();
    const again = await checkIn(ctx.tree.tokens.sec3, ctx.tree.ids.branch3, prof);
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.memberId).toBe(memberId);
    expect((await decide(again.body.processId, ctx.tree.tokens.sec3, { action: 'approve' })).body.status).toBe('approved');
    expect(await memberRow(memberId)).toMatchObject({
      status: 'active',
      branch_id: ctx.tree.ids.branch3,
      name: prof.name,
      id_number: prof.idNumber,
      join_date: prof.joinDate,
      development_number: prof.developmentNumber,
    });
  });

  const refusals: [status: string, sanction: string | null, http: number, rule: string][] = [
    ['expelled', 'expulsion', 422, 'R18'],
    ['probation', 'probation', 422, 'R18'],
    ['removed', 'removal-from-roll', 422, 'R18'],
    ['active', null, 409, 'R9'],
  ];
  for (const [status, sanction, http, rule] of refusals) {
    it(`${rule}: a member who is ${status} cannot check in again (${http} ${rule}), nothing persisted`, async () => {
      const prof = profile();
      const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, prof);
      // As the disciplinary case's decision leaves it (discipline.test.ts covers the case itself).
      await ctx.sys.db
        .updateTable('members')
        .set({ status: status as 'active', sanction })
        .where('id', '=', memberId)
        .execute();
      const before = await footprint(memberId);
      for (const [token, branchId] of [
        [ctx.tree.tokens.sec2, ctx.tree.ids.branch2],
        [ctx.tree.tokens.sec1, ctx.tree.ids.branch1],
      ] as const) {
        const r = await checkIn(token, branchId, prof);
        expect(r.status, JSON.stringify(r.body)).toBe(http);
        expect(r.body.rule).toBe(rule);
      }
      // The member themselves, by their record's id.
      const own = await checkIn(await memberToken(memberId), ctx.tree.ids.branch2, prof, { memberId });
      expect(own.status).toBe(http);
      expect(await footprint(memberId)).toEqual(before);
    });
  }

  it('R2: a member whose check-in is pending cannot open a second one (409 R2)', async () => {
    const prof = profile();
    const first = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    expect(first.status).toBe(201);
    const before = await footprint(first.body.memberId);
    const r = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, prof);
    expect(r.status).toBe(409);
    expect(r.body.rule).toBe('R2');
    expect(await footprint(first.body.memberId)).toEqual(before);
  });
});
