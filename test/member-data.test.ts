// R5 (reviewed changes of member data), R6 (direct edits with their old and new values), R7 (join-date
// corrections: the province's window, the city-level committee's formal request) and the member's history,
// on the real Temporal server and PostgreSQL, through the HTTP API.
import { beforeAll, describe, expect, it } from 'vitest';
import { activeMember, actorToken, call, eventually, memberActorToken, profile, useSystemWithTree } from './harness';
import { officeDay } from '../domain/office-day';

let county1: string;

const ctx = useSystemWithTree();
beforeAll(async () => {
  county1 = await actorToken(ctx.sys.app, 'committee_admin', ctx.tree.ids.county1, 'county1 admin');
});

const DATA = { politicalStatus: '共青团员', economicIncome: '无收入', isCadre: false, address: '深圳市福田区华强北路1号' };

const decide = (id: string, token: string, body: object) => call(ctx.sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
const requestChange = (memberId: string, token: string, body: object) => call(ctx.sys.app, 'POST', `/api/members/${memberId}/changes`, token, body);
const requestJoinDate = (memberId: string, token: string, body: object) => call(ctx.sys.app, 'POST', `/api/members/${memberId}/join-date`, token, body);
const readMember = (memberId: string, token = ctx.tree.tokens.sec1) => call(ctx.sys.app, 'GET', `/api/members/${memberId}`, token);
const memberRow = (id: string) => ctx.sys.db.selectFrom('members').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

const memberToken = (memberId: string) => memberActorToken(ctx.sys.app, memberId);

/** An active member of branch1 with the R5 fields set, and their own token. */
async function member(overrides: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const id = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, { ...DATA, ...overrides });
  return { id, token: await memberToken(id) };
}

/** What a request writes: the member's processes, pending rows and events (a refusal writes none of them). */
async function footprint(memberId: string) {
  const [processes, changes, events] = await Promise.all([
    ctx.sys.db.selectFrom('processes').select('id').where('member_id', '=', memberId).execute(),
    ctx.sys.db.selectFrom('member_changes').select('process_id').where('member_id', '=', memberId).execute(),
    ctx.sys.db.selectFrom('events').select('id').where('member_id', '=', memberId).execute(),
  ]);
  return { processes: processes.length, changes: changes.length, events: events.length };
}

async function eventOf(processId: string, type: string) {
  return ctx.sys.db.selectFrom('events').selectAll().where('process_id', '=', processId).where('type', '=', type).executeTakeFirstOrThrow();
}

const window = (method: 'PUT' | 'DELETE', token: string, body?: object) => call(ctx.sys.app, method, '/api/join-date-window', token, body);

const day = (offsetDays: number) => officeDay(new Date(Date.now() + offsetDays * 86_400_000));

describe('R5 reviewed changes of member data', () => {
  it('R5: a requested change shows as pending with the old values in force; the branch approves and the new values are in force, the event naming old and new; a Party member keeps the league status (保留团籍)', async () => {
    const m = await member();
    const created = await requestChange(m.id, m.token, { politicalStatus: '中共预备党员', isCadre: true });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      memberId: m.id,
      status: 'pending',
      step: 'branch-review',
      fields: { politicalStatus: '中共预备党员', isCadre: true },
    });
    const processId = created.body.processId as string;
    expect(Date.parse(created.body.deadline)).toBeGreaterThan(Date.now() + 9 * 86_400_000);

    const pending = await readMember(m.id, m.token);
    expect(pending.body.details).toMatchObject({ politicalStatus: '共青团员', isCadre: false });
    expect(pending.body.partyMember).toBe(false);
    expect(pending.body.pending).toEqual([
      { processId, kind: 'data', fields: { politicalStatus: '中共预备党员', isCadre: true }, submittedAt: expect.any(String) },
    ]);
    const todo = await call(ctx.sys.app, 'GET', '/api/processes?acting=mine', ctx.tree.tokens.sec1);
    const item = todo.body.items.find((i: { id: string }) => i.id === processId);
    expect(item).toMatchObject({ kind: 'member-change', step: 'branch-review', actions: ['approve', 'return'] });

    const approved = await decide(processId, ctx.tree.tokens.sec1, { action: 'approve' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('approved');

    const after = await readMember(m.id, m.token);
    expect(after.body.details).toMatchObject({ politicalStatus: '中共预备党员', isCadre: true, economicIncome: '无收入' });
    expect(after.body).toMatchObject({ pending: [], partyMember: true, status: 'active' });
    const event = await eventOf(processId, 'member-change.approved');
    expect(event.payload).toMatchObject({
      changes: [
        { field: 'politicalStatus', from: '共青团员', to: '中共预备党员' },
        { field: 'isCadre', from: false, to: true },
      ],
    });
    expect(event.actor_id).not.toBeNull();
    const row = await ctx.sys.db.selectFrom('member_changes').selectAll().where('process_id', '=', processId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'data', status: 'approved' });
    expect(row.decided_at).not.toBeNull();
    const inbox = await call(ctx.sys.app, 'GET', '/api/notifications', m.token);
    expect(inbox.body.items.some((n: { processId: string; kind: string }) => n.processId === processId && n.kind === 'decision')).toBe(true);
  });

  it('R5: the branch returns a change with a reason; the values in force stay, nothing is pending; a return without a reason is refused', async () => {
    const m = await member();
    const created = await requestChange(m.id, m.token, { economicIncome: '有固定收入' });
    expect(created.status).toBe(201);
    const processId = created.body.processId as string;

    const bare = await decide(processId, ctx.tree.tokens.sec1, { action: 'return' });
    expect(bare.status).toBe(400);
    expect(bare.body.fields[0].field).toBe('body.reason');

    const returned = await decide(processId, ctx.tree.tokens.sec1, { action: 'return', reason: '请提供收入证明' });
    expect(returned.status).toBe(200);
    expect(returned.body.status).toBe('returned');
    const after = await readMember(m.id);
    expect(after.body.details.economicIncome).toBe('无收入');
    expect(after.body.pending).toEqual([]);
    expect((await eventOf(processId, 'member-change.returned')).payload).toMatchObject({ reason: '请提供收入证明' });
    expect((await ctx.sys.db.selectFrom('member_changes').select('status').where('process_id', '=', processId).executeTakeFirstOrThrow()).status).toBe(
      'returned',
    );
    const again = await decide(processId, ctx.tree.tokens.sec1, { action: 'approve' });
    expect(again.status).toBe(409);
  });

  it('R5: only the member who asked withdraws the change; the secretary may not', async () => {
    const m = await member();
    const created = await requestChange(m.id, m.token, { isCadre: true });
    const processId = created.body.processId as string;
    expect((await decide(processId, ctx.tree.tokens.sec1, { action: 'withdraw' })).status).toBe(403);
    const withdrawn = await decide(processId, m.token, { action: 'withdraw' });
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body.status).toBe('withdrawn');
    expect((await memberRow(m.id)).details).toMatchObject({ isCadre: false });
    expect((await readMember(m.id)).body.pending).toEqual([]);
  });

  it('R5: one open change review per member: a second request is refused with 409 citing R5 and writes nothing', async () => {
    const m = await member();
    expect((await requestChange(m.id, m.token, { politicalStatus: '中共党员' })).status).toBe(201);
    const before = await footprint(m.id);
    const second = await requestChange(m.id, m.token, { economicIncome: '有固定收入' });
    expect(second.status).toBe(409);
    expect(second.body.rule).toBe('R5');
    expect(await footprint(m.id)).toEqual(before);
  });

  it('R5: refused: a member whose check-in is not approved (422), an unchanged value (422 naming it), an empty body, an unknown field and control characters (400)', async () => {
    const pendingCheckIn = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, { branchId: ctx.tree.ids.branch1, profile: profile(DATA) });
    const notActive = pendingCheckIn.body.memberId as string;
    const notActiveToken = await memberToken(notActive);
    const before = await footprint(notActive);
    const refused = await requestChange(notActive, notActiveToken, { politicalStatus: '中共党员' });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ rule: 'R5', fields: [{ field: 'params.id', rule: 'R5' }] });
    expect(await footprint(notActive)).toEqual(before);

    const m = await member();
    const quiet = await footprint(m.id);
    const unchanged = await requestChange(m.id, m.token, { politicalStatus: '共青团员', economicIncome: '有固定收入' });
    expect(unchanged.status).toBe(422);
    expect(unchanged.body.rule).toBe('R5');
    expect(unchanged.body.fields.map((f: { field: string }) => f.field)).toEqual(['body.politicalStatus']);
    const empty = await requestChange(m.id, m.token, {});
    expect(empty.status).toBe(400);
    expect(empty.body.fields[0].field).toBe('body');
    const unknown = await requestChange(m.id, m.token, { phone: '13900139000' });
    expect(unknown.status).toBe(400);
    const control = await requestChange(m.id, m.token, { politicalStatus: '中共\u0007党员' });
    expect(control.status).toBe(400);
    expect(control.body.fields.map((f: { field: string }) => f.field)).toContain('body.politicalStatus');
    expect(await footprint(m.id)).toEqual(quiet);
  });

  it('R5: authorization: only the member asks (not another member, a secretary or a committee); only their own branch secretary decides, a committee above extends', async () => {
    const m = await member();
    const other = await member();
    const quiet = await footprint(m.id);
    for (const token of [other.token, ctx.tree.tokens.sec1, ctx.tree.tokens.sec2, ctx.tree.tokens.school1, ctx.tree.tokens.province]) {
      const r = await requestChange(m.id, token, { isCadre: true });
      expect(r.status, JSON.stringify(r.body)).toBe(403);
    }
    expect(await footprint(m.id)).toEqual(quiet);

    const processId = (await requestChange(m.id, m.token, { isCadre: true })).body.processId as string;
    for (const token of [m.token, other.token, ctx.tree.tokens.sec2, ctx.tree.tokens.school1, ctx.tree.tokens.city1, ctx.tree.tokens.province]) {
      expect((await decide(processId, token, { action: 'approve' })).status).toBe(403);
    }
    const until = new Date(Date.now() + 20 * 86_400_000).toISOString();
    expect((await decide(processId, ctx.tree.tokens.sec1, { action: 'extend', until, reason: 'exams' })).status).toBe(403);
    const extended = await decide(processId, ctx.tree.tokens.school1, { action: 'extend', until, reason: '考试期间' });
    expect(extended.status).toBe(200);
    expect(extended.body.deadline).toBe(until);
    expect((await decide(processId, ctx.tree.tokens.sec1, { action: 'approve' })).body.status).toBe('approved');
    expect((await memberRow(m.id)).details).toMatchObject({ isCadre: true });
  });
});

describe('R6 direct changes of other personal data', () => {
  it('R6: phone and address change at once; the event names who changed what with old and new values; R5 fields are refused pointing to the review; other readers see phone and address masked', async () => {
    const m = await member();
    const patched = await call(ctx.sys.app, 'PATCH', `/api/members/${m.id}`, m.token, {
      phone: '13912345678',
      address: '深圳市南山区科技园',
      education: '本科',
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.details).toMatchObject({ phone: '13912345678', address: '深圳市南山区科技园', education: '本科' });
    const event = await ctx.sys.db
      .selectFrom('events')
      .selectAll()
      .where('member_id', '=', m.id)
      .where('type', '=', 'member.updated')
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({
      changes: [
        { field: 'phone', from: '13800138000', to: '13912345678' },
        { field: 'education', from: null, to: '本科' },
        { field: 'address', from: DATA.address, to: '深圳市南山区科技园' },
      ],
    });
    expect(event.actor_id).not.toBeNull();

    const reviewed = await call(ctx.sys.app, 'PATCH', `/api/members/${m.id}`, m.token, { politicalStatus: '中共党员' });
    expect(reviewed.status).toBe(422);
    expect(reviewed.body.rule).toBe('R5');
    expect(reviewed.body.fields[0]).toMatchObject({ field: 'body.politicalStatus', rule: 'R5' });
    expect(reviewed.body.message).toContain('/changes');

    const own = await call(ctx.sys.app, 'GET', `/api/members/${m.id}/history`, ctx.tree.tokens.sec1);
    const ownChange = own.body.items.find((i: { type: string }) => i.type === 'member.updated');
    expect(ownChange).toMatchObject({ category: 'change', changes: [{ field: 'phone', from: '13800138000', to: '13912345678' }, {}, {}] });
    const above = await call(ctx.sys.app, 'GET', `/api/members/${m.id}/history`, ctx.tree.tokens.school1);
    const masked = above.body.items.find((i: { type: string }) => i.type === 'member.updated');
    expect(masked.changes).toEqual([
      { field: 'phone', from: '138****8000', to: '139****5678' },
      { field: 'education', from: null, to: '本科' },
      { field: 'address', from: '深圳市***', to: '深圳市***' },
    ]);
  });
});

describe('R7 join-date corrections', () => {
  it('R7: the province opens and closes the window; nobody else may; a window that closes before it opens is refused', async () => {
    expect((await window('PUT', ctx.tree.tokens.city1, { opensOn: day(-1), closesOn: day(30) })).status).toBe(403);
    expect((await window('PUT', ctx.tree.tokens.sec1, { opensOn: day(-1), closesOn: day(30) })).status).toBe(403);
    const backwards = await window('PUT', ctx.tree.tokens.province, { opensOn: day(5), closesOn: day(1) });
    expect(backwards.status).toBe(422);
    expect(backwards.body).toMatchObject({ rule: 'R7', fields: [{ field: 'body.closesOn' }] });
    const later = await window('PUT', ctx.tree.tokens.province, { opensOn: day(10), closesOn: day(20) });
    expect(later.status).toBe(200);
    expect(later.body.window).toMatchObject({ opensOn: day(10), closesOn: day(20), open: false });
    const m = await member();
    expect((await call(ctx.sys.app, 'GET', '/api/join-date-window', m.token)).body.window).toMatchObject({ id: later.body.window.id, open: false });
    expect((await window('DELETE', ctx.tree.tokens.county2)).status).toBe(403);
    expect((await window('DELETE', ctx.tree.tokens.province)).body).toEqual({ window: null });
    expect((await call(ctx.sys.app, 'GET', '/api/join-date-window', ctx.tree.tokens.sec1)).body).toEqual({ window: null });
  });

  it('R7: outside the window a member may not ask for a new join date (422 naming body.joinDate), and nothing is written', async () => {
    expect((await window('DELETE', ctx.tree.tokens.province)).status).toBe(200);
    const m = await member();
    const before = await footprint(m.id);
    const closed = await requestJoinDate(m.id, m.token, { joinDate: '2016-09-01' });
    expect(closed.status).toBe(422);
    expect(closed.body).toMatchObject({ rule: 'R7', fields: [{ field: 'body.joinDate', rule: 'R7' }] });
    // A window that opens later is not open yet.
    await window('PUT', ctx.tree.tokens.province, { opensOn: day(3), closesOn: day(9) });
    expect((await requestJoinDate(m.id, m.token, { joinDate: '2016-09-01' })).status).toBe(422);
    expect(await footprint(m.id)).toEqual(before);
    await window('DELETE', ctx.tree.tokens.province);
  });

  it('R7: inside the window the member asks, the branch approves: the join date changes (the only change after approval, R4), the event records both dates', async () => {
    const opened = await window('PUT', ctx.tree.tokens.province, { opensOn: day(-1), closesOn: day(30) });
    expect(opened.body.window.open).toBe(true);
    const m = await member();
    const sameDate = await requestJoinDate(m.id, m.token, { joinDate: '2016-05-04' });
    expect(sameDate.status).toBe(422);
    expect(sameDate.body.fields[0]).toMatchObject({ field: 'body.joinDate', rule: 'R7' });
    const tooYoung = await requestJoinDate(m.id, m.token, { joinDate: '2010-05-04' });
    expect(tooYoung.status).toBe(422);
    expect(tooYoung.body.fields[0]).toMatchObject({ field: 'body.joinDate', rule: 'R19' });

    const created = await requestJoinDate(m.id, m.token, { joinDate: '2016-09-01' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ memberId: m.id, status: 'pending', step: 'branch-review', route: 'window' });
    const processId = created.body.processId as string;
    const pending = await readMember(m.id);
    expect(pending.body.joinDate).toBe('2016-05-04');
    expect(pending.body.pending).toEqual([{ processId, kind: 'join-date', fields: { joinDate: '2016-09-01' }, submittedAt: expect.any(String) }]);
    expect((await requestJoinDate(m.id, m.token, { joinDate: '2016-10-01' })).body).toMatchObject({ status: 409, rule: 'R7' });

    expect((await decide(processId, ctx.tree.tokens.sec2, { action: 'approve' })).status).toBe(403);
    expect((await decide(processId, ctx.tree.tokens.province, { action: 'approve' })).status).toBe(403);
    const approved = await decide(processId, ctx.tree.tokens.sec1, { action: 'approve' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('approved');
    expect((await memberRow(m.id)).join_date).toBe('2016-09-01');
    expect((await readMember(m.id)).body).toMatchObject({ joinDate: '2016-09-01', pending: [] });
    expect((await eventOf(processId, 'join-date.approved')).payload).toMatchObject({ from: '2016-05-04', to: '2016-09-01', route: 'window' });
    // R4: still locked against any other way.
    const patch = await call(ctx.sys.app, 'PATCH', `/api/members/${m.id}`, ctx.tree.tokens.sec1, { joinDate: '2016-10-01' });
    expect(patch.status).toBe(422);
    expect(patch.body.rule).toBe('R4');
    await window('DELETE', ctx.tree.tokens.province);
  });

  it('R7: the member withdraws a request in the window; the branch returns another with a reason; the join date stays', async () => {
    await window('PUT', ctx.tree.tokens.province, { opensOn: day(0), closesOn: day(0) });
    const m = await member();
    const first = await requestJoinDate(m.id, m.token, { joinDate: '2016-06-01' });
    expect(first.status).toBe(201);
    expect((await decide(first.body.processId, m.token, { action: 'withdraw' })).body.status).toBe('withdrawn');
    const second = await requestJoinDate(m.id, m.token, { joinDate: '2016-06-02' });
    expect(second.status).toBe(201);
    const returned = await decide(second.body.processId, ctx.tree.tokens.sec1, { action: 'return', reason: '无佐证材料' });
    expect(returned.body.status).toBe('returned');
    expect((await memberRow(m.id)).join_date).toBe('2016-05-04');
    await window('DELETE', ctx.tree.tokens.province);
  });

  it('R7: outside the window a city-level committee files a formal request with a reason and only the province decides; a county committee, a school or a secretary may not file', async () => {
    await window('DELETE', ctx.tree.tokens.province);
    const m = await member();
    const quiet = await footprint(m.id);
    for (const token of [county1, ctx.tree.tokens.school1, ctx.tree.tokens.sec1, ctx.tree.tokens.county2, ctx.tree.tokens.province]) {
      const r = await requestJoinDate(m.id, token, { joinDate: '2016-03-01', reason: '档案记载有误' });
      expect(r.status, JSON.stringify(r.body)).toBe(403);
    }
    const noReason = await requestJoinDate(m.id, ctx.tree.tokens.city1, { joinDate: '2016-03-01' });
    expect(noReason.status).toBe(422);
    expect(noReason.body).toMatchObject({ rule: 'R7', fields: [{ field: 'body.reason' }] });
    expect(await footprint(m.id)).toEqual(quiet);

    const filed = await requestJoinDate(m.id, ctx.tree.tokens.city1, { joinDate: '2016-03-01', reason: '档案记载有误' });
    expect(filed.status, JSON.stringify(filed.body)).toBe(201);
    expect(filed.body).toMatchObject({ step: 'province-review', route: 'formal', status: 'pending' });
    const processId = filed.body.processId as string;
    for (const token of [ctx.tree.tokens.city1, ctx.tree.tokens.sec1, m.token])
      expect((await decide(processId, token, { action: 'approve' })).status).toBe(403);
    expect((await decide(processId, m.token, { action: 'withdraw' })).status).toBe(422);
    const approved = await decide(processId, ctx.tree.tokens.province, { action: 'approve' });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect((await memberRow(m.id)).join_date).toBe('2016-03-01');
    expect((await eventOf(processId, 'join-date.approved')).payload).toMatchObject({ from: '2016-05-04', to: '2016-03-01', route: 'formal' });
    // Closed, it belongs to the branch again.
    expect((await call(ctx.sys.app, 'GET', `/api/processes/${processId}`, ctx.tree.tokens.sec1)).status).toBe(200);

    const n = await member();
    const rejected = await requestJoinDate(n.id, ctx.tree.tokens.city1, { joinDate: '2016-04-01', reason: '档案记载有误' });
    expect((await decide(rejected.body.processId, ctx.tree.tokens.province, { action: 'reject' })).status).toBe(400);
    expect((await decide(rejected.body.processId, ctx.tree.tokens.province, { action: 'reject', reason: '证据不足' })).body.status).toBe('rejected');
    expect((await memberRow(n.id)).join_date).toBe('2016-05-04');
  });
});

describe("the member's history", () => {
  it('R5/R6/R7: GET /members/{id}/history lists check-in, change and join-date events newest first by category, with cursor paging; other branches may not read it', async () => {
    await window('PUT', ctx.tree.tokens.province, { opensOn: day(-1), closesOn: day(1) });
    const m = await member();
    const change = (await requestChange(m.id, m.token, { economicIncome: '有固定收入' })).body.processId as string;
    await decide(change, ctx.tree.tokens.sec1, { action: 'approve' });
    const correction = (await requestJoinDate(m.id, m.token, { joinDate: '2016-07-01' })).body.processId as string;
    await decide(correction, ctx.tree.tokens.sec1, { action: 'approve' });
    await window('DELETE', ctx.tree.tokens.province);

    const all = await call(ctx.sys.app, 'GET', `/api/members/${m.id}/history?limit=200`, m.token);
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    const types = all.body.items.map((i: { type: string }) => i.type);
    expect(types).toEqual([
      'join-date.approved',
      'join-date.requested',
      'member-change.approved',
      'member-change.requested',
      'check-in.approved',
      'check-in.submitted',
    ]);
    expect(all.body.items.map((i: { category: string }) => i.category)).toEqual(['join-date', 'join-date', 'change', 'change', 'check-in', 'check-in']);
    expect(all.body.items[0]).toMatchObject({ processId: correction, changes: [{ field: 'joinDate', from: '2016-05-04', to: '2016-07-01' }] });
    expect(all.body.items[2]).toMatchObject({ processId: change, changes: [{ field: 'economicIncome', from: '无收入', to: '有固定收入' }] });

    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await call(
        ctx.sys.app,
        'GET',
        `/api/members/${m.id}/history?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        ctx.tree.tokens.school1,
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(4);
      pages.push(...page.body.items.map((i) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(pages).toEqual(all.body.items.map((i: { id: string }) => i.id));

    expect((await call(ctx.sys.app, 'GET', `/api/members/${m.id}/history`, ctx.tree.tokens.sec2)).status).toBe(403);
    expect((await call(ctx.sys.app, 'GET', `/api/members/${m.id}/history?cursor=abc`, ctx.tree.tokens.sec1)).status).toBe(400);
  });
});

describe('R5 deadline', () => {
  // Deadline 3 s; reminders 2 s and 1 s before it; escalations every 1 s once overdue.
  const short = useSystemWithTree({ memberChange: { deadlineMs: 3000, reminderOffsetsMs: [2000, 1000], escalationIntervalMs: 1000 } });

  it('R5/R3: a change not reviewed in time reminds the branch, then escalates to the committee above until the branch decides', async () => {
    const memberId = await activeMember(short.sys.app, short.tree.ids.branch1, short.tree.tokens.sec1, DATA);
    const token = await memberActorToken(short.sys.app, memberId);
    const created = await call(short.sys.app, 'POST', `/api/members/${memberId}/changes`, token, { politicalStatus: '中共党员' });
    expect(created.status).toBe(201);
    const processId = created.body.processId as string;
    const types = async () =>
      (await short.sys.db.selectFrom('events').select('type').where('process_id', '=', processId).orderBy('id').execute()).map((e) => e.type);
    const seen = await eventually(
      async () => ((await types()).filter((x) => x === 'deadline.escalated').length >= 1 ? types() : undefined),
      20_000,
      'an escalation',
    );
    expect(seen.slice(0, 4)).toEqual(['member-change.requested', 'deadline.reminder', 'deadline.reminder', 'deadline.overdue']);
    const notes = await short.sys.db.selectFrom('notifications').select(['kind', 'recipient_org_id']).where('process_id', '=', processId).execute();
    expect(notes.filter((n) => n.kind === 'reminder').every((n) => n.recipient_org_id === short.tree.ids.branch1)).toBe(true);
    expect(notes.some((n) => n.kind === 'escalation' && n.recipient_org_id === short.tree.ids.school1)).toBe(true);
    expect((await short.sys.db.selectFrom('processes').select('overdue').where('id', '=', processId).executeTakeFirstOrThrow()).overdue).toBe(true);

    expect((await call(short.sys.app, 'POST', `/api/processes/${processId}/decisions`, short.tree.tokens.sec1, { action: 'approve' })).body.status).toBe(
      'approved',
    );
    const row = await short.sys.db.selectFrom('processes').select(['overdue', 'closed_at']).where('id', '=', processId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ overdue: false });
    expect(row.closed_at).not.toBeNull();
  });
});
