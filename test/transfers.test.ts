// R9, R11-R13 on the real server and PostgreSQL: transfers within the province, their steps and limits,
// routing, waiting for a freshman branch, and who may act. Each side's deadline and the timeout effects (R9)
// are proven on the workflow in test/fast/transfer.test.ts.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { activeMember, actorToken, call, eventually, importOrgs, memberActorToken, profile, useSystemWithTree } from './harness';

const ctx = useSystemWithTree();

const decide = (id: string, token: string, body: object) => call(ctx.sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const processOf = (id: string) => ctx.sys.db.selectFrom('processes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const memberOf = (id: string) => ctx.sys.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const eventTypes = async (id: string) =>
  (await ctx.sys.db.selectFrom('events').select('type').where('process_id', '=', id).orderBy('id').execute()).map((e) => e.type);

describe('R9 transfers within the province', () => {
  it('R9: the sending branch releases, the receiving branch accepts, and the member belongs to the new branch', async () => {
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const started = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, {
      memberId,
      toOrgId: ctx.tree.ids.branch3,
      reason: 'moved to Guangzhou for work',
    });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ memberId, step: 'release' });
    const id = started.body.processId as string;
    expect(await processOf(id)).toMatchObject({ kind: 'transfer', status: 'pending', step: 'release', org_id: ctx.tree.ids.branch1 });

    // The receiving branch cannot approve the release; the sending branch can.
    expect((await decide(id, ctx.tree.tokens.sec3, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'arrival', org_id: ctx.tree.ids.branch3 });

    // Arrival: not the sending branch, not a city admin outside the receiving subtree; the receiving branch.
    expect((await decide(id, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, ctx.tree.tokens.city1, { action: 'approve' })).status).toBe(403);
    const done = await decide(id, ctx.tree.tokens.sec3, { action: 'approve' });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('approved');

    expect(await memberOf(memberId)).toMatchObject({ branch_id: ctx.tree.ids.branch3, status: 'active' });
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['transfer.requested', 'transfer.release-approved', 'transfer.completed']));
    const detail = await call(ctx.sys.app, 'GET', `/api/processes/${id}`, ctx.tree.tokens.province);
    expect(detail.body).toMatchObject({ status: 'approved', step: 'closed' });
    const timeline = detail.body.timeline as { type: string; actorId: string | null }[];
    expect(timeline.map((e) => e.type).filter((t) => t.startsWith('transfer.'))).toEqual([
      'transfer.requested',
      'transfer.release-approved',
      'transfer.completed',
    ]);
    const result = await ctx.sys.env.client.workflow.getHandle(`transfer-${memberId}`).result();
    expect(result).toEqual({ processId: id, status: 'approved' });
  });

  it("R9: the receiving branch's secretary starts a transfer into their own branch, and approves its arrival", async () => {
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const started = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec3, { memberId, toOrgId: ctx.tree.ids.branch3 });
    expect(started.status).toBe(201);
    const id = started.body.processId as string;
    // Starting it does not let the receiving side release it: the sending branch still decides first.
    expect((await decide(id, ctx.tree.tokens.sec3, { action: 'approve' })).status).toBe(403);
    expect((await decide(id, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    const done = await decide(id, ctx.tree.tokens.sec3, { action: 'approve' });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('approved');
    expect(await memberOf(memberId)).toMatchObject({ branch_id: ctx.tree.ids.branch3, status: 'active' });
    const requested = await ctx.sys.db
      .selectFrom('events')
      .select(['type', 'actor_id'])
      .where('process_id', '=', id)
      .where('type', '=', 'transfer.requested')
      .executeTakeFirstOrThrow();
    expect(requested.actor_id).not.toBeNull();
  });

  it('R9: a receiving committee approves the arrival, then places the member into one of its own branches', async () => {
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch3, ctx.tree.tokens.sec3);
    const started = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec3, { memberId, toOrgId: ctx.tree.ids.school1 });
    // The school committee has no phone in the seeded tree: R13 refuses it until one is entered.
    expect(started.status).toBe(422);
    expect(started.body.rule).toBe('R13');
    await importOrgs(ctx.sys.app, [
      { id: ctx.tree.ids.school1, parentId: ctx.tree.ids.county1, name: '某中学团委', kind: 'committee', contactPhone: '0755-88886666' },
    ]);
    const again = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec3, { memberId, toOrgId: ctx.tree.ids.school1 });
    expect(again.status).toBe(201);
    const id = again.body.processId as string;
    expect((await decide(id, ctx.tree.tokens.sec3, { action: 'approve' })).status).toBe(200);
    expect((await decide(id, ctx.tree.tokens.school1, { action: 'approve' })).status).toBe(200);
    expect(await processOf(id)).toMatchObject({ step: 'placement', org_id: ctx.tree.ids.school1 });
    // A branch outside the receiving committee, a committee, and a secretary placing: all refused.
    expect((await decide(id, ctx.tree.tokens.school1, { action: 'place', branchId: ctx.tree.ids.branch3 })).status).toBe(422);
    expect((await decide(id, ctx.tree.tokens.school1, { action: 'place', branchId: ctx.tree.ids.school1 })).status).toBe(422);
    expect((await decide(id, ctx.tree.tokens.sec2, { action: 'place', branchId: ctx.tree.ids.branch2 })).status).toBe(403);
    expect((await decide(id, ctx.tree.tokens.school1, { action: 'approve' })).status).toBe(422);
    const placed = await decide(id, ctx.tree.tokens.school1, { action: 'place', branchId: ctx.tree.ids.branch2 });
    expect(placed.status).toBe(200);
    expect(placed.body.status).toBe('approved');
    expect(await memberOf(memberId)).toMatchObject({ branch_id: ctx.tree.ids.branch2 });
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['transfer.release-approved', 'transfer.arrival-approved', 'transfer.completed']));
  });

  it('R9: a rejection at any step ends the transfer with its reason, and the member stays where they were', async () => {
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const id = (await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: ctx.tree.ids.branch2 })).body.processId as string;
    expect((await decide(id, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    const noReason = await decide(id, ctx.tree.tokens.sec2, { action: 'reject' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.fields[0].field).toBe('body.reason');
    const rejected = await decide(id, ctx.tree.tokens.sec2, { action: 'reject', reason: 'no such person in our class' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.status).toBe('rejected');
    expect(await memberOf(memberId)).toMatchObject({ branch_id: ctx.tree.ids.branch1, status: 'active' });
    const row = await processOf(id);
    expect(row).toMatchObject({ status: 'rejected', step: 'closed' });
    const event = await ctx.sys.db
      .selectFrom('events')
      .select('payload')
      .where('process_id', '=', id)
      .where('type', '=', 'transfer.rejected')
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({ reason: 'no such person in our class', step: 'arrival' });
    // Closed: a later decision is a conflict. A new transfer may start.
    expect((await decide(id, ctx.tree.tokens.sec2, { action: 'approve' })).status).toBe(409);
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: ctx.tree.ids.branch2 })).status).toBe(201);
  });

  it('R9: one open transfer per member, none while the check-in is pending, only active members', async () => {
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: ctx.tree.ids.branch2 })).status).toBe(201);
    const second = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: ctx.tree.ids.branch3 });
    expect(second.status).toBe(409);
    expect(second.body.rule).toBe('R9');

    const pending = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, { branchId: ctx.tree.ids.branch1, profile: profile() });
    const whilePending = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, {
      memberId: pending.body.memberId,
      toOrgId: ctx.tree.ids.branch2,
    });
    expect(whilePending.status).toBe(409);
    expect(whilePending.body.message).toMatch(/pending/);

    await decide(pending.body.processId, ctx.tree.tokens.sec1, { action: 'return', reason: 'wrong branch' });
    const returned = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, {
      memberId: pending.body.memberId,
      toOrgId: ctx.tree.ids.branch2,
    });
    expect(returned.status).toBe(422);
    expect(returned.body.rule).toBe('R9');
    const count = await ctx.sys.db
      .selectFrom('transfers')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('member_id', '=', pending.body.memberId)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
  });

  it('R9: who starts a transfer: the member or the sending secretary or the receiving side, never another branch or an unrelated city', async () => {
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec2, { memberId, toOrgId: ctx.tree.ids.branch3 })).status).toBe(403);
    // branch3's secretary is not the receiving side of a transfer into branch2.
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec3, { memberId, toOrgId: ctx.tree.ids.branch2 })).status).toBe(403);
    // city1 is above the sender, not the receiver (branch3 is in city2): not an admin of the receiving side.
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.city1, { memberId, toOrgId: ctx.tree.ids.branch3 })).status).toBe(403);
    expect(await ctx.sys.db.selectFrom('transfers').select('process_id').where('member_id', '=', memberId).execute()).toHaveLength(0);
    // county2 is above the receiving branch.
    const byReceiver = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.county2, { memberId, toOrgId: ctx.tree.ids.branch3 });
    expect(byReceiver.status).toBe(201);
    // The member withdraws their own transfer; nobody else can.
    const member = await memberActorToken(ctx.sys.app, memberId);
    expect((await decide(byReceiver.body.processId, ctx.tree.tokens.sec1, { action: 'withdraw' })).status).toBe(403);
    const withdrawn = await decide(byReceiver.body.processId, member, { action: 'withdraw' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('withdrawn');
    // The member starts one themselves.
    const bySelf = await call(ctx.sys.app, 'POST', '/api/transfers', member, { memberId, toOrgId: ctx.tree.ids.branch2 });
    expect(bySelf.status).toBe(201);
    expect(bySelf.body.step).toBe('release');
  });

  it('R13: a receiving branch without a contact phone is refused with 422 and reported to the admins above it', async () => {
    const noPhone = `${ctx.tree.ids.county1}-np${randomBytes(2).toString('hex')}`;
    await importOrgs(ctx.sys.app, [{ id: noPhone, parentId: ctx.tree.ids.county1, name: '无电话团支部', kind: 'branch' }]);
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const refused = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: noPhone });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ rule: 'R13', fields: [{ field: 'body.toOrgId', rule: 'R13' }] });
    await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: noPhone });
    expect(await ctx.sys.db.selectFrom('transfers').select('process_id').where('member_id', '=', memberId).execute()).toHaveLength(0);

    const problems = await call(ctx.sys.app, 'GET', '/api/data-problems', ctx.tree.tokens.city1);
    expect(problems.status).toBe(200);
    const mine = problems.body.items.find((p: { orgId: string }) => p.orgId === noPhone);
    expect(mine).toMatchObject({ rule: 'R13', kind: 'missing-contact-phone', occurrences: 2 });
    expect((await call(ctx.sys.app, 'GET', '/api/data-problems', ctx.tree.tokens.county2)).body.items.map((p: { orgId: string }) => p.orgId)).not.toContain(
      noPhone,
    );
    const notes = await ctx.sys.db
      .selectFrom('notifications')
      .select(['recipient_org_id', 'kind'])
      .where('kind', '=', 'data-problem')
      .where('message', 'like', `%${noPhone}%`)
      .execute();
    expect(notes.map((n) => n.recipient_org_id).sort()).toEqual([ctx.tree.ids.county1, noPhone].sort());

    // A phone entered resolves the problem, and the transfer goes through.
    await importOrgs(ctx.sys.app, [{ id: noPhone, parentId: ctx.tree.ids.county1, name: '无电话团支部', kind: 'branch', contactPhone: '0755-12340000' }]);
    expect((await call(ctx.sys.app, 'GET', '/api/data-problems', ctx.tree.tokens.city1)).body.items.map((p: { orgId: string }) => p.orgId)).not.toContain(
      noPhone,
    );
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: noPhone })).status).toBe(201);
  });
});

describe('R11/R12 routing', () => {
  it('R11: the route preview names the target and the reason, and a transfer to that destination goes there', async () => {
    const s = randomBytes(2).toString('hex');
    const town = `${ctx.tree.ids.county2}-town${s}`;
    await importOrgs(ctx.sys.app, [
      { id: town, parentId: ctx.tree.ids.county2, name: '某街道团工委', kind: 'committee' },
      { id: `${town}-float`, parentId: town, name: '流动团员团支部', kind: 'branch', specialKind: 'floating', contactPhone: '020-55550000' },
      { id: `${town}-comm`, parentId: town, name: '某社区团支部', kind: 'branch' },
    ]);
    const destination = { situation: 'work', unitName: '某科技公司', locationOrgId: town, communityBranchId: `${town}-comm` };
    const preview = await call(ctx.sys.app, 'POST', '/api/transfers/route-preview', ctx.tree.tokens.sec1, destination);
    expect(preview.status).toBe(200);
    // The community branch has no phone, so it cannot receive: the floating-member branch does.
    expect(preview.body).toMatchObject({ outcome: 'org', case: 'floating-branch', orgId: `${town}-float` });
    expect(preview.body.reason).toMatch(/^R11:/);
    const bad = await call(ctx.sys.app, 'POST', '/api/transfers/route-preview', ctx.tree.tokens.sec1, { ...destination, locationOrgId: 'no/such' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].field).toBe('body.locationOrgId');

    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const started = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, destination });
    expect(started.status).toBe(201);
    expect(started.body.route).toMatchObject({ case: 'floating-branch' });
    const row = await ctx.sys.db.selectFrom('transfers').selectAll().where('process_id', '=', started.body.processId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ to_org_id: `${town}-float`, route_case: 'floating-branch' });
  });

  it('R12: a transfer to a freshman branch not yet created waits for it; creating the branch wakes it', async () => {
    const s = randomBytes(2).toString('hex');
    const uni = `${ctx.tree.ids.city2}-uni${s}`;
    const fresh = `${uni}-fresh2026`;
    await importOrgs(ctx.sys.app, [{ id: uni, parentId: ctx.tree.ids.city2, name: '某大学团委', kind: 'committee', contactPhone: '020-87654321' }]);
    const destination = { situation: 'study', unitName: '某大学', unitOrgId: uni, destinationBranchId: fresh, locationOrgId: ctx.tree.ids.county2 };
    const preview = await call(ctx.sys.app, 'POST', '/api/transfers/route-preview', ctx.tree.tokens.sec1, destination);
    expect(preview.body).toMatchObject({ outcome: 'wait', case: 'freshman-branch-pending', awaitOrgId: fresh });

    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const id = (await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, destination })).body.processId as string;
    expect((await decide(id, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    const waiting = await processOf(id);
    expect(waiting).toMatchObject({ step: 'awaiting-branch', org_id: uni, status: 'pending' });
    expect(waiting.deadline).not.toBeNull();

    // Created without a phone: R13 reports it and the transfer keeps waiting.
    await importOrgs(ctx.sys.app, [{ id: fresh, parentId: uni, name: '2026级新生团支部', kind: 'branch' }]);
    await eventually(
      async () =>
        (await call(ctx.sys.app, 'GET', '/api/data-problems', ctx.tree.tokens.province)).body.items?.some((p: { orgId: string }) => p.orgId === fresh),
      15_000,
      'the R13 data problem',
    );
    expect((await processOf(id)).step).toBe('awaiting-branch');
    // With its phone entered, the branch wakes the transfer: it moves on to the arrival at the new branch.
    await importOrgs(ctx.sys.app, [{ id: fresh, parentId: uni, name: '2026级新生团支部', kind: 'branch', contactPhone: '020-87650000' }]);
    await eventually(async () => (await processOf(id)).step === 'arrival', 15_000, 'the arrival step');
    const freshSecretary = await actorToken(ctx.sys.app, 'branch_secretary', fresh);
    const done = await decide(id, freshSecretary, { action: 'approve' });
    expect(done.status).toBe(200);
    expect(await memberOf(memberId)).toMatchObject({ branch_id: fresh });
    expect(await eventTypes(id)).toEqual(expect.arrayContaining(['transfer.branch-created', 'transfer.completed']));
  });
});
