// R20 organization data on the real server and PostgreSQL: re-importing keeps what a row omits, the organization
// and its direct superior edit its data (PATCH), every change is an event with old and new values, and entering
// a missing contact phone resolves the R13 data problem.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { activeMember, actorToken, call, graduateBranchRow, useSystemWithTree } from './harness';
import { withCreditCheckChar } from '../domain/identifiers';

const ctx = useSystemWithTree();

const orgRow = (id: string) => ctx.sys.db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const orgEvents = async (id: string) =>
  (await ctx.sys.db
    .selectFrom('events')
    .select(['type', 'actor_id', 'payload'])
    .where('org_id', '=', id)
    .where('type', '=', 'org.updated')
    .orderBy('id')
    .execute()) as {
    type: string;
    actor_id: string | null;
    payload: { changes: Record<string, { old: unknown; new: unknown }> };
  }[];
const actorIdOf = async (role: string, orgId: string) =>
  (
    await ctx.sys.db
      .selectFrom('actors')
      .select('id')
      .where('role', '=', role as 'province_admin')
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .executeTakeFirstOrThrow()
  ).id;
const importAs = (token: string, organizations: Record<string, unknown>[]) => call(ctx.sys.app, 'POST', '/api/organizations/import', token, { organizations });
const patch = (token: string, id: string, body: object) => call(ctx.sys.app, 'PATCH', `/api/organizations/${id}`, token, body);

describe('R20 organization data', () => {
  it('R20: a partial re-import keeps the fields it omits; only an explicit null clears one; every change is an event with old and new values and the response counts it', async () => {
    const s = randomBytes(2).toString('hex');
    const grad = `${ctx.tree.ids.school1}-g${s}`;
    const other = `${ctx.tree.ids.school1}-o${s}`;
    const credit = withCreditCheckChar('12440300MB2C61234');
    const full = { ...graduateBranchRow(grad, ctx.tree.ids.school1), creditCode: credit };
    const first = await importAs(ctx.tree.tokens.province, [
      full,
      { id: other, parentId: ctx.tree.ids.school1, name: '另一团支部', kind: 'branch', contactPhone: '0755-22224444' },
    ]);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ imported: 2, created: 2, updated: 0, unchanged: 0 });

    // A city sends its own rows with only names: the phone, credit code, special kind and graduation date stay.
    const partial = await importAs(ctx.tree.tokens.province, [{ id: grad, parentId: ctx.tree.ids.school1, name: '2026届毕业生团支部（一）', kind: 'branch' }]);
    expect(partial.status).toBe(200);
    expect(partial.body).toMatchObject({ imported: 1, created: 0, updated: 1, unchanged: 0 });
    expect(await orgRow(grad)).toMatchObject({
      name: '2026届毕业生团支部（一）',
      contact_phone: '0755-22223333',
      credit_code: credit,
      special_kind: 'graduate',
      graduation_date: '2026-06-30',
    });
    const provinceActor = await actorIdOf('province_admin', ctx.tree.ids.province);
    let events = await orgEvents(grad);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_id: provinceActor,
      payload: { changes: { name: { old: '2026届毕业生团支部', new: '2026届毕业生团支部（一）' } } },
    });
    expect(Object.keys(events[0]!.payload.changes)).toEqual(['name']);

    // The same rows again change nothing and record nothing.
    const same = await importAs(ctx.tree.tokens.province, [
      { id: grad, parentId: ctx.tree.ids.school1, name: '2026届毕业生团支部（一）', kind: 'branch', contactPhone: '0755-22223333' },
    ]);
    expect(same.body).toMatchObject({ imported: 1, created: 0, updated: 0, unchanged: 1 });
    expect(await orgEvents(grad)).toHaveLength(1);

    // Only an explicit null clears a field; the event carries the old and the new value.
    const cleared = await importAs(ctx.tree.tokens.province, [
      { id: grad, parentId: ctx.tree.ids.school1, name: '2026届毕业生团支部（一）', kind: 'branch', creditCode: null },
    ]);
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ updated: 1, unchanged: 0 });
    expect(await orgRow(grad)).toMatchObject({ credit_code: null, contact_phone: '0755-22223333', special_kind: 'graduate', graduation_date: '2026-06-30' });
    events = await orgEvents(grad);
    expect(events).toHaveLength(2);
    expect(events[1]!.payload.changes).toEqual({ creditCode: { old: credit, new: null } });

    // One created, one updated, one unchanged: the response counts each.
    const fresh = `${ctx.tree.ids.school1}-n${s}`;
    const mixed = await importAs(ctx.tree.tokens.province, [
      { id: fresh, parentId: ctx.tree.ids.school1, name: '新团支部', kind: 'branch' },
      { id: grad, parentId: ctx.tree.ids.school1, name: '2026届毕业生团支部（一）', kind: 'branch', contactPhone: '0755-22225555' },
      { id: other, parentId: ctx.tree.ids.school1, name: '另一团支部', kind: 'branch' },
    ]);
    expect(mixed.body).toMatchObject({ imported: 3, created: 1, updated: 1, unchanged: 1 });
    expect((await orgEvents(grad))[2]!.payload.changes).toEqual({ contactPhone: { old: '0755-22223333', new: '0755-22225555' } });
    expect(await orgRow(other)).toMatchObject({ contact_phone: '0755-22224444' });
  });

  it("R20: the branch enters its own contact phone and the R13 problem is resolved; the parent committee edits the branch's name; an unrelated admin gets 403; a bad credit code gets 422 naming the field", async () => {
    const noPhone = `${ctx.tree.ids.school1}-np${randomBytes(2).toString('hex')}`;
    expect((await importAs(ctx.tree.tokens.province, [{ id: noPhone, parentId: ctx.tree.ids.school1, name: '无电话团支部', kind: 'branch' }])).status).toBe(
      200,
    );
    const secretary = await actorToken(ctx.sys.app, 'branch_secretary', noPhone);
    const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1);
    const refused = await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: noPhone });
    expect(refused.status).toBe(422);
    expect(refused.body.rule).toBe('R13');
    const problemsOf = async (token: string) =>
      (await call(ctx.sys.app, 'GET', '/api/data-problems', token)).body.items.map((p: { orgId: string }) => p.orgId) as string[];
    expect(await problemsOf(ctx.tree.tokens.school1)).toContain(noPhone);

    // The branch enters its own contact data, but not its name (its direct superior's edit).
    expect((await patch(secretary, noPhone, { name: '改名团支部' })).status).toBe(403);
    const entered = await patch(secretary, noPhone, { contactPhone: '0755-66667777' });
    expect(entered.status).toBe(200);
    expect(entered.body).toMatchObject({ id: noPhone, contactPhone: '0755-66667777', changed: ['contactPhone'] });
    expect(await problemsOf(ctx.tree.tokens.school1)).not.toContain(noPhone);
    const secretaryActor = await actorIdOf('branch_secretary', noPhone);
    expect(await orgEvents(noPhone)).toEqual([
      { type: 'org.updated', actor_id: secretaryActor, payload: { changes: { contactPhone: { old: null, new: '0755-66667777' } } } },
    ]);
    expect((await call(ctx.sys.app, 'POST', '/api/transfers', ctx.tree.tokens.sec1, { memberId, toOrgId: noPhone })).status).toBe(201);

    // The parent committee (school1) edits its name; a committee further up (city1) is not the direct superior,
    // an unrelated committee (county2) and a sibling branch's secretary are refused.
    const renamed = await patch(ctx.tree.tokens.school1, noPhone, { name: '高二(3)班团支部' });
    expect(renamed.status).toBe(200);
    expect(await orgRow(noPhone)).toMatchObject({ name: '高二(3)班团支部', contact_phone: '0755-66667777' });
    for (const token of [ctx.tree.tokens.city1, ctx.tree.tokens.county2, ctx.tree.tokens.sec2]) {
      expect((await patch(token, noPhone, { contactPhone: '0755-11110000' })).status).toBe(403);
      expect((await patch(token, noPhone, { name: '越权' })).status).toBe(403);
    }
    expect(await orgRow(noPhone)).toMatchObject({ name: '高二(3)班团支部', contact_phone: '0755-66667777' });

    // A bad credit code: 422 naming the field and R20; nothing changes. A valid one is stored, checked and upper-cased.
    const bad = await patch(ctx.tree.tokens.school1, noPhone, { creditCode: '91350100M000100Y44', name: '不应保存' });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ rule: 'R20', fields: [{ field: 'body.creditCode', rule: 'R20' }] });
    expect(await orgRow(noPhone)).toMatchObject({ name: '高二(3)班团支部', credit_code: null });
    const good = withCreditCheckChar('12440300MB2C61235');
    expect((await patch(ctx.tree.tokens.school1, noPhone, { creditCode: good.toLowerCase() })).status).toBe(200);
    expect(await orgRow(noPhone)).toMatchObject({ credit_code: good });

    // Its place in the tree is not edited here (R20: import never moves a node either).
    expect((await patch(ctx.tree.tokens.school1, noPhone, { parentId: ctx.tree.ids.county1 })).status).toBe(400);
    expect((await patch(ctx.tree.tokens.school1, noPhone, { kind: 'committee' })).status).toBe(400);
    expect(await orgRow(noPhone)).toMatchObject({ parent_id: ctx.tree.ids.school1, kind: 'branch' });

    // Every edit is one event with old and new values, by whoever made it.
    const schoolActor = await actorIdOf('committee_admin', ctx.tree.ids.school1);
    const events = await orgEvents(noPhone);
    expect(events.map((e) => [e.actor_id, Object.keys(e.payload.changes)])).toEqual([
      [secretaryActor, ['contactPhone']],
      [schoolActor, ['name']],
      [schoolActor, ['creditCode']],
    ]);
    expect(events[1]!.payload.changes.name).toEqual({ old: '无电话团支部', new: '高二(3)班团支部' });
  });
});
