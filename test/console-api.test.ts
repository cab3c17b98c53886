// The API of the web console (issue 12) on the real server and PostgreSQL: who am I, To do (acting=mine) with the
// decisions the caller may take, what is overdue below me, counts per child, the overdue and deletion statistics,
// any report as an Excel file, and the console's own files under /console/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { ADMIN_TOKEN, activeMember, call, deletedMember, eventually, graduateBranch, profile, seedTree, startSystem, type System, type Tree } from './harness';
import { buildApp } from '../api/app';
import { XLSX_TYPE } from '../domain/tables';

let sys: System;
let tree: Tree;

// Check-ins go overdue 3 s after submission (R3, shortened); no reminders, one escalation a day.
const DEADLINE_MS = 3000;

beforeAll(async () => {
  sys = await startSystem({
    checkIn: { deadlineMs: DEADLINE_MS, reminderOffsetsMs: [], escalationIntervalMs: 86_400_000 },
    abuse: { minDeletions: 2, threshold: 0.5 },
  });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

interface Item {
  id: string;
  kind: string;
  step: string;
  orgId: string;
  orgName: string | null;
  stepLabel: string;
  overdue: boolean;
  closedAt: string | null;
  actions: string[];
}

/** Every page of GET /api/processes with `query`. */
async function listAll(token: string, query: string, t: System = sys): Promise<Item[]> {
  const out: Item[] = [];
  let cursor: string | null = null;
  do {
    const r = await call(t.app, 'GET', `/api/processes?${query}&limit=200${cursor ? `&cursor=${cursor}` : ''}`, token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    out.push(...(r.body.items as Item[]));
    cursor = r.body.nextCursor as string | null;
  } while (cursor);
  return out;
}

const checkIn = async (branchId: string, token: string, overrides: Record<string, unknown> = {}) => {
  const r = await call(sys.app, 'POST', '/api/check-ins', token, { branchId, profile: profile(overrides) });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { processId: string; memberId: string };
};

const memberActor = async (memberId: string) =>
  (await call(sys.app, 'POST', '/api/actors', ADMIN_TOKEN, { role: 'member', memberId, label: 'member of a branch' })).body.token as string;

describe('console API', () => {
  it('R1-R20: GET /me answers each role its organization, and the bootstrap token none', async () => {
    const { memberId } = await checkIn(tree.ids.branch1, tree.tokens.sec1, { name: '李明' });
    const member = await memberActor(memberId);
    const cases: [string, string, string | null, string | null][] = [
      [tree.tokens.province, 'province_admin', tree.ids.province, null],
      [tree.tokens.city1, 'committee_admin', tree.ids.city1, tree.ids.province],
      [tree.tokens.school1, 'committee_admin', tree.ids.school1, tree.ids.county1],
      [tree.tokens.sec1, 'branch_secretary', tree.ids.branch1, tree.ids.school1],
    ];
    for (const [token, role, orgId, parentId] of cases) {
      const me = await call(sys.app, 'GET', '/api/me', token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ role, memberId: null, org: { id: orgId, parentId } });
      expect(me.body.org.path.endsWith(`${orgId}/`)).toBe(true);
      expect(typeof me.body.label).toBe('string');
    }
    expect((await call(sys.app, 'GET', '/api/me', tree.tokens.sec1)).body).toMatchObject({
      label: 'branch1 secretary',
      org: { name: '高一(1)班团支部', kind: 'branch' },
    });
    expect((await call(sys.app, 'GET', '/api/me', member)).body).toMatchObject({ role: 'member', memberId, label: 'member of a branch', org: null });
    expect((await call(sys.app, 'GET', '/api/me', ADMIN_TOKEN)).body).toEqual({
      actorId: 'system',
      role: 'system',
      label: 'bootstrap token',
      memberId: null,
      org: null,
    });
    const anonymous = await call(sys.app, 'GET', '/api/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ status: 401, kind: 'unauthenticated' });
  });

  it('R1/R2: To do (acting=mine) shows a pending check-in to its branch with approve and return, not to another branch; R3: a committee above may extend it', async () => {
    const { processId, memberId } = await checkIn(tree.ids.branch1, tree.tokens.sec1);
    const mine = await listAll(tree.tokens.sec1, 'acting=mine');
    const item = mine.find((i) => i.id === processId);
    expect(item).toMatchObject({ kind: 'check-in', step: 'branch-review', stepLabel: 'Check-in review', orgId: tree.ids.branch1, orgName: '高一(1)班团支部' });
    expect(item!.actions.sort()).toEqual(['approve', 'return']);
    expect(mine.every((i) => i.orgId === tree.ids.branch1 && i.closedAt === null)).toBe(true);
    // Another branch, and the committees above, have nothing of it to do.
    expect((await listAll(tree.tokens.sec2, 'acting=mine')).some((i) => i.id === processId)).toBe(false);
    expect((await listAll(tree.tokens.city1, 'acting=mine')).some((i) => i.id === processId)).toBe(false);
    // The member's To do is their own open check-in, which only they withdraw (R2).
    const member = await memberActor(memberId);
    const own = await listAll(member, 'acting=mine');
    expect(own.map((i) => [i.id, i.actions])).toEqual([[processId, ['withdraw']]]);
    // Seen from above, the city may only extend the deadline (R3); the list says so as the decision would.
    const fromCity = await listAll(tree.tokens.city1, `orgId=${tree.ids.school1}&kind=check-in`);
    expect(fromCity.find((i) => i.id === processId)!.actions).toEqual(['extend']);
    expect((await call(sys.app, 'GET', `/api/processes/${processId}`, tree.tokens.city1)).body).toMatchObject({
      stepLabel: 'Check-in review',
      actions: ['extend'],
    });
    expect((await call(sys.app, 'POST', `/api/processes/${processId}/decisions`, tree.tokens.city1, { action: 'approve' })).status).toBe(403);

    // Filters: the step, and how long it has waited there.
    expect((await listAll(tree.tokens.sec1, 'acting=mine&kind=check-in&step=branch-review')).some((i) => i.id === processId)).toBe(true);
    expect((await listAll(tree.tokens.sec1, 'acting=mine&minDaysAtStep=2')).some((i) => i.id === processId)).toBe(false);
    await sys.db
      .updateTable('processes')
      .set({ step_since: new Date(Date.now() - 3 * 86_400_000) })
      .where('id', '=', processId)
      .execute();
    expect((await listAll(tree.tokens.sec1, 'acting=mine&minDaysAtStep=2')).some((i) => i.id === processId)).toBe(true);
    expect((await listAll(tree.tokens.sec1, 'acting=mine&minDaysAtStep=4')).some((i) => i.id === processId)).toBe(false);

    // Decided, it leaves To do.
    expect((await call(sys.app, 'POST', `/api/processes/${processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    expect((await listAll(tree.tokens.sec1, 'acting=mine')).some((i) => i.id === processId)).toBe(false);
    const closed = (await listAll(tree.tokens.sec1, `kind=check-in&status=approved`)).find((i) => i.id === processId);
    expect(closed).toMatchObject({ stepLabel: expect.any(String), actions: [] });
  });

  it("R4/R6: a member's record lists their history newest first (each event's type, organization and process), with no payload", async () => {
    const memberId = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const r = await call(sys.app, 'GET', `/api/members/${memberId}`, tree.tokens.sec1);
    expect(r.status).toBe(200);
    const history = r.body.history as { at: string; type: string; orgId: string | null; processId: string | null }[];
    expect(history.map((h) => h.type)).toEqual(['check-in.approved', 'check-in.submitted']);
    expect(history.every((h) => h.orgId === tree.ids.branch1 && typeof h.processId === 'string')).toBe(true);
    expect(Date.parse(history[0]!.at)).toBeGreaterThanOrEqual(Date.parse(history[1]!.at));
    // The history is about the member, not a copy of their data: no name or ID number in it.
    expect(JSON.stringify(history)).not.toContain(r.body.name);
  });

  it('R1-R20: bad list queries are a 400 naming the parameter', async () => {
    const bad: [string, string][] = [
      ['step=nonsense', 'querystring.step'],
      ['kind=deletion&step=branch-review', 'querystring.step'],
      [`acting=mine&orgId=${tree.ids.branch2}`, 'querystring.orgId'],
      ['acting=everyone', 'querystring.acting'],
      ['minDaysAtStep=-1', 'querystring.minDaysAtStep'],
      ['minDaysAtStep=abc', 'querystring.minDaysAtStep'],
    ];
    for (const [query, field] of bad) {
      const r = await call(sys.app, 'GET', `/api/processes?${query}`, tree.tokens.sec1);
      expect(r.status, query).toBe(400);
      expect(r.body).toMatchObject({ status: 400, kind: 'invalid' });
      expect(r.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    // acting=mine naming the caller's own organization is fine; the bootstrap token has nothing to do.
    expect((await call(sys.app, 'GET', `/api/processes?acting=mine&orgId=${tree.ids.branch1}`, tree.tokens.sec1)).status).toBe(200);
    expect((await call(sys.app, 'GET', '/api/processes?acting=mine', ADMIN_TOKEN)).status).toBe(403);
  });

  it("R3: a city admin's overdue list shows an overdue check-in below a county; an unrelated county admin gets 403 or nothing", async () => {
    const { processId } = await checkIn(tree.ids.branch2, tree.tokens.sec2);
    await eventually(
      async () => (await sys.db.selectFrom('processes').select('overdue').where('id', '=', processId).executeTakeFirstOrThrow()).overdue,
      DEADLINE_MS + 15_000,
      'the check-in to be overdue',
    );
    const overdue = await listAll(tree.tokens.city1, `orgId=${tree.ids.county1}&overdue=true`);
    expect(overdue.find((i) => i.id === processId)).toMatchObject({ overdue: true, orgId: tree.ids.branch2, actions: ['extend'] });
    expect(overdue.every((i) => i.overdue && i.closedAt === null)).toBe(true);
    expect((await listAll(tree.tokens.city1, 'overdue=true')).some((i) => i.id === processId)).toBe(true);
    // county2 is in another city: its own view does not hold it, and asking for county1's is refused.
    expect((await listAll(tree.tokens.county2, 'overdue=true')).some((i) => i.id === processId)).toBe(false);
    const refused = await call(sys.app, 'GET', `/api/processes?orgId=${tree.ids.county1}&overdue=true`, tree.tokens.county2);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ status: 403, kind: 'forbidden' });
  });

  it('R3: /processes/counts gives the open and overdue processes of each child, as GET /processes lists them; /stats/overdue counts them per day', async () => {
    const t = await seedTree(sys.app);
    // Open check-ins in three branches (two in city1, one in city2); one more decided at once (never overdue).
    const opened = [
      await checkIn(t.ids.branch1, t.tokens.sec1),
      await checkIn(t.ids.branch1, t.tokens.sec1),
      await checkIn(t.ids.branch2, t.tokens.sec2),
      await checkIn(t.ids.branch3, t.tokens.sec3),
    ];
    await activeMember(sys.app, t.ids.branch3, t.tokens.sec3);
    // Counted once every open one is overdue, so that the numbers hold still between the two reads.
    await eventually(
      async () => {
        const rows = await sys.db
          .selectFrom('processes')
          .select('overdue')
          .where(
            'id',
            'in',
            opened.map((o) => o.processId),
          )
          .execute();
        return rows.length === opened.length && rows.every((r) => r.overdue);
      },
      DEADLINE_MS + 20_000,
      'every open check-in overdue',
    );

    const counts = await call(sys.app, 'GET', `/api/processes/counts?orgId=${t.ids.province}`, t.tokens.province);
    expect(counts.status, JSON.stringify(counts.body)).toBe(200);
    expect(counts.body.org).toEqual({ id: t.ids.province, name: '团省委', kind: 'committee' });
    expect(counts.body.self).toEqual({ open: 0, overdue: 0 });
    expect(counts.body.children.map((c: { id: string }) => c.id).sort()).toEqual([t.ids.city1, t.ids.city2].sort());
    const byId = new Map<string, { open: number; overdue: number }>(counts.body.children.map((c: { id: string; open: number; overdue: number }) => [c.id, c]));
    expect(byId.get(t.ids.city1)).toMatchObject({ open: 3, overdue: 3 });
    expect(byId.get(t.ids.city2)).toMatchObject({ open: 1, overdue: 1 });
    for (const c of counts.body.children as { id: string; open: number; overdue: number }[]) {
      const listed = (await listAll(t.tokens.province, `orgId=${c.id}`)).filter((i) => i.closedAt === null);
      expect([c.open, c.overdue], c.id).toEqual([listed.length, listed.filter((i) => i.overdue).length]);
    }
    // A branch counts at itself; a kind with none is zeros; a school's children are its branches.
    expect((await call(sys.app, 'GET', `/api/processes/counts?orgId=${t.ids.branch1}`, t.tokens.sec1)).body).toMatchObject({
      self: { open: 2, overdue: 2 },
      children: [],
    });
    const school = await call(sys.app, 'GET', `/api/processes/counts?orgId=${t.ids.school1}&kind=check-in`, t.tokens.city1);
    expect(school.body.children).toEqual([
      { id: t.ids.branch1, name: '高一(1)班团支部', kind: 'branch', open: 2, overdue: 2 },
      { id: t.ids.branch2, name: '高一(2)班团支部', kind: 'branch', open: 1, overdue: 1 },
    ]);
    const deletions = await call(sys.app, 'GET', `/api/processes/counts?orgId=${t.ids.school1}&kind=deletion`, t.tokens.city1);
    expect(deletions.body.children.map((c: { open: number }) => c.open)).toEqual([0, 0]);
    // The caller's own organization by default; outside it, 403; unknown, 404; malformed, 400.
    expect((await call(sys.app, 'GET', '/api/processes/counts', t.tokens.county2)).body.org.id).toBe(t.ids.county2);
    expect((await call(sys.app, 'GET', `/api/processes/counts?orgId=${t.ids.city1}`, t.tokens.county2)).status).toBe(403);
    expect((await call(sys.app, 'GET', '/api/processes/counts?orgId=nowhere-0', t.tokens.province)).status).toBe(404);
    const malformed = await call(sys.app, 'GET', '/api/processes/counts?orgId=a%20b', t.tokens.province);
    expect(malformed.status).toBe(400);
    expect(malformed.body.fields[0].field).toBe('querystring.orgId');
    expect((await call(sys.app, 'GET', '/api/processes/counts', await memberActor(opened[0]!.memberId))).status).toBe(403);

    // The same four became overdue (today, or yesterday in Shanghai if the run straddles midnight there).
    const stats = await call(sys.app, 'GET', `/api/stats/overdue?orgId=${t.ids.province}&days=7`, t.tokens.province);
    expect(stats.status).toBe(200);
    expect(stats.body.orgId).toBe(t.ids.province);
    const days = stats.body.days as { day: string; overdue: number }[];
    expect(days).toHaveLength(7);
    expect(days.at(-1)!.day).toBe(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 10));
    expect(days.map((d) => d.day)).toEqual([...days.map((d) => d.day)].sort());
    expect(new Set(days.map((d) => d.day)).size).toBe(7);
    expect(days.reduce((n, d) => n + d.overdue, 0)).toBe(4);
    const city2 = await call(sys.app, 'GET', `/api/stats/overdue?orgId=${t.ids.city2}`, t.tokens.province);
    expect(city2.body.days).toHaveLength(30);
    expect(city2.body.days.reduce((n: number, d: { overdue: number }) => n + d.overdue, 0)).toBe(1);
    for (const q of ['days=0', 'days=367', 'days=x']) {
      const r = await call(sys.app, 'GET', `/api/stats/overdue?${q}`, t.tokens.province);
      expect(r.status, q).toBe(400);
      expect(r.body.fields[0].field).toBe('querystring.days');
    }
    expect((await call(sys.app, 'GET', `/api/stats/overdue?orgId=${t.ids.city1}`, t.tokens.county2)).status).toBe(403);
  });

  it('R17: /stats/deletions counts approved deletions per month with the graduates among them, and the organizations flagged', async () => {
    const t = await seedTree(sys.app);
    const grad = await graduateBranch(sys.app, t.ids.school1);
    const named = { profile: { name: '王小明' } };
    await deletedMember(sys, t, { id: t.ids.branch1, secretary: t.tokens.sec1 }, named);
    await deletedMember(sys, t, grad, named);
    await deletedMember(sys, t, grad, named);

    const r = await call(sys.app, 'GET', '/api/stats/deletions', t.tokens.city1);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.orgId).toBe(t.ids.city1);
    const months = r.body.months as { month: string; approved: number; graduates: number }[];
    expect(months).toHaveLength(12);
    expect(months.at(-1)!.month).toBe(new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7));
    expect(months.map((m) => m.month)).toEqual([...months.map((m) => m.month)].sort());
    expect(months.reduce((n, m) => n + m.approved, 0)).toBe(3);
    expect(months.reduce((n, m) => n + m.graduates, 0)).toBe(2);
    // 2 graduates of 3 deletions (above 0.5, at least 2): the school and the committees above it in the city.
    const flags = r.body.flags as { orgId: string; orgName: string; deletions: number; graduates: number; flaggedAt: string }[];
    expect(flags.map((f) => f.orgId).sort()).toEqual([t.ids.city1, t.ids.county1, t.ids.school1].sort());
    expect(flags.find((f) => f.orgId === t.ids.school1)).toMatchObject({ orgName: '某中学团委', deletions: 3, graduates: 2 });
    expect(Number.isNaN(Date.parse(flags[0]!.flaggedAt))).toBe(false);

    expect((await call(sys.app, 'GET', `/api/stats/deletions?orgId=${t.ids.city2}&months=3`, t.tokens.province)).body).toMatchObject({
      months: [{ approved: 0 }, { approved: 0 }, { approved: 0 }],
      flags: [],
    });
    expect((await call(sys.app, 'GET', '/api/stats/deletions?months=25', t.tokens.province)).body.fields[0].field).toBe('querystring.months');
    expect((await call(sys.app, 'GET', `/api/stats/deletions?orgId=${t.ids.city1}`, t.tokens.county2)).status).toBe(403);
    expect((await call(sys.app, 'GET', '/api/stats/deletions', grad.secretary)).status).toBe(403);
  });

  it('R1-R20: POST /reports/xlsx answers a workbook that exceljs reads back with the same cells, header bold and frozen', async () => {
    const body = {
      sheet: '待办 2026',
      columns: [
        { key: 'name', title: '姓名' },
        { key: 'idNumber', title: 'ID number' },
        { key: 'days', title: '天数' },
        { key: 'overdue', title: 'Overdue' },
        { key: 'note', title: 'Note' },
      ],
      rows: [
        { name: '张三', idNumber: '440304200803151234', days: 3, overdue: true, note: null, extra: { ignored: true } },
        { name: '李四', idNumber: '11010120000101123X', days: 12.5, overdue: false, note: '=1+1' },
      ],
    };
    const res = await sys.app.inject({ method: 'POST', url: '/api/reports/xlsx', headers: { authorization: `Bearer ${tree.tokens.sec1}` }, payload: body });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe(XLSX_TYPE);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="__ 2026.xlsx"; filename*=UTF-8''${encodeURIComponent('待办 2026.xlsx')}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(res.rawPayload as unknown as Parameters<ExcelJS.Xlsx['load']>[0]);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('待办 2026');
    const values = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(values(1)).toEqual(['姓名', 'ID number', '天数', 'Overdue', 'Note']);
    expect(values(2)).toEqual(['张三', '440304200803151234', 3, true]);
    // A string stays a string (no formula), an ID number stays text.
    expect(values(3)).toEqual(['李四', '11010120000101123X', 12.5, false, '=1+1']);
    expect(ws.rowCount).toBe(3);
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.getColumn(2).width).toBeGreaterThanOrEqual(18);

    const ascii = await sys.app.inject({
      method: 'POST',
      url: '/api/reports/xlsx',
      headers: { authorization: `Bearer ${tree.tokens.sec1}` },
      payload: { sheet: 'todo', columns: [{ key: 'a', title: 'A' }], rows: [] },
    });
    expect(ascii.statusCode).toBe(200);
    expect(ascii.headers['content-disposition']).toBe('attachment; filename="todo.xlsx"');
  });

  it('R1-R20: a bad report request is a 400 naming the field, and needs a token', async () => {
    const columns = [{ key: 'a', title: 'A' }];
    const bad: [object, string][] = [
      [{ sheet: 'a/b', columns, rows: [] }, 'body.sheet'],
      [{ sheet: 'x'.repeat(32), columns, rows: [] }, 'body.sheet'],
      [{ sheet: 's', columns: [], rows: [] }, 'body.columns'],
      [{ sheet: 's', columns: [...columns, { key: 'a', title: 'again' }], rows: [] }, 'body.columns.1.key'],
      [{ sheet: 's', columns, rows: [{ a: { nested: 1 } }] }, 'body.rows.0.a'],
      [{ sheet: 's', columns, rows: Array.from({ length: 50_001 }, () => ({})) }, 'body.rows'],
      [{ columns, rows: [] }, 'body.sheet'],
    ];
    for (const [payload, field] of bad) {
      const r = await call(sys.app, 'POST', '/api/reports/xlsx', tree.tokens.sec1, payload);
      expect(r.status, field).toBe(400);
      expect(r.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    expect((await call(sys.app, 'POST', '/api/reports/xlsx', undefined, { sheet: 's', columns, rows: [] })).status).toBe(401);
  });

  it('R1-R20: the console is served under /console/ without a token: files, assets cached for good, every other path the page; 503 until built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tuanwu-console-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>团务</title><div id="app"></div>');
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg/>');
    const app = await buildApp({ db: sys.db, client: sys.env.client, config: sys.config }, { consoleDir: dir });
    const missing = await buildApp({ db: sys.db, client: sys.env.client, config: sys.config }, { consoleDir: join(dir, 'not-built') });
    try {
      const page = await app.inject({ method: 'GET', url: '/console/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['cache-control']).toBe('no-cache');
      expect(page.body).toContain('团务');
      const asset = await app.inject({ method: 'GET', url: '/console/assets/index-AbC123.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect((await app.inject({ method: 'GET', url: '/console/favicon.svg' })).headers['cache-control']).toBe('no-cache');
      // The console routes itself: a deep link answers the page.
      for (const url of ['/console/todo', '/console/processes/0b7d6a0e-0000-4000-8000-000000000000', '/console']) {
        const deep = await app.inject({ method: 'GET', url });
        expect(deep.statusCode, url).toBe(200);
        expect(deep.body, url).toContain('<div id="app">');
        expect(deep.headers['cache-control'], url).toBe('no-cache');
      }
      expect((await app.inject({ method: 'GET', url: '/console/../package.json' })).body).not.toContain('"dependencies"');
      expect((await app.inject({ method: 'POST', url: '/console/todo' })).statusCode).toBe(404);
      // The API still wants its token.
      expect((await app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);

      const unbuilt = await missing.inject({ method: 'GET', url: '/console/' });
      expect(unbuilt.statusCode).toBe(503);
      expect(unbuilt.json()).toMatchObject({ status: 503, kind: 'unavailable' });
      expect(unbuilt.json().message).toContain('npm run console:build');
    } finally {
      await app.close();
      await missing.close();
    }
  });
});
