// R21 organization health and R20 organization data on the real server, worker and PostgreSQL: the counts and
// lists of a small tree built here, paging, who may read them; the daily check notifies each committee above a
// problem once, and again when a fixed problem comes back; an import with a bad credit code imports the rest.
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { activeMember, actorToken, ADMIN_TOKEN, call, idNumber, importOrgs, newMemberToken, orgPath, useSystemWithTree } from './harness';
import { creditCodeProblem, withCreditCheckChar } from '../domain/identifiers';
import { healthCheck, type HealthCheckResult } from '../workflows/health-check';
import { ensureHealthSchedule } from '../worker/schedules';

/** The health tree (below the seeded province): ids by role, its admin's and its healthy branch's tokens. */
let h: Record<'root' | 'hollow' | 'hollowGeneral' | 'school' | 'ok' | 'bare' | 'staffed' | 'badCode' | 'quiet', string>;
let rootPath: string;
let tokens: { root: string; school: string; ok: string };

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
const creditCode = () => withCreditCheckChar(`91440300${digits(9)}`);

/**
 * root (committee)
 * ├── hollow (committee, no branch below) ── hollowGeneral (general branch, no branch below)
 * ├── school (committee, industry 教育, no school type) ── ok (member, late entry, secretary), bare (no phone,
 * │                                                         no member, no secretary), staffed (secretary, no member)
 * └── badCode (committee, bad credit code written around the API) ── quiet (no member, no secretary)
 */
const ctx = useSystemWithTree();
beforeAll(async () => {
  const p = `h${randomBytes(3).toString('hex')}`;
  h = {
    root: `${p}-root`,
    hollow: `${p}-hollow`,
    hollowGeneral: `${p}-hollow-g`,
    school: `${p}-school`,
    ok: `${p}-ok`,
    bare: `${p}-bare`,
    staffed: `${p}-staffed`,
    badCode: `${p}-bad`,
    quiet: `${p}-quiet`,
  };
  const phone = '0755-12345678';
  await importOrgs(ctx.sys.app, [
    { id: h.root, parentId: ctx.tree.ids.province, name: '健康团委', kind: 'committee', contactPhone: phone, creditCode: creditCode() },
    { id: h.hollow, parentId: h.root, name: '空心团委', kind: 'committee', contactPhone: phone, creditCode: creditCode() },
    { id: h.hollowGeneral, parentId: h.hollow, name: '空心团总支', kind: 'general_branch', contactPhone: phone },
    { id: h.school, parentId: h.root, name: '某学校团委', kind: 'committee', contactPhone: phone, creditCode: creditCode(), industryCategory: '教育' },
    { id: h.ok, parentId: h.school, name: '健全团支部', kind: 'branch', contactPhone: phone },
    { id: h.bare, parentId: h.school, name: '空团支部', kind: 'branch' },
    { id: h.staffed, parentId: h.school, name: '有书记团支部', kind: 'branch', contactPhone: phone },
    { id: h.badCode, parentId: h.root, name: '代码错误团委', kind: 'committee', contactPhone: phone, creditCode: creditCode() },
    { id: h.quiet, parentId: h.badCode, name: '安静团支部', kind: 'branch', contactPhone: phone },
  ]);
  // An invalid code stored before the API checked codes (or written around it): health still finds it.
  await ctx.sys.db.updateTable('organizations').set({ credit_code: '91440300MA5XXXXX0Y' }).where('id', '=', h.badCode).execute();
  rootPath = await orgPath(ctx.sys, h.root);
  tokens = {
    root: await actorToken(ctx.sys.app, 'committee_admin', h.root),
    school: await actorToken(ctx.sys.app, 'committee_admin', h.school),
    ok: await actorToken(ctx.sys.app, 'branch_secretary', h.ok),
  };
  const memberId = await activeMember(ctx.sys.app, h.ok, tokens.ok);
  // R19: entered more than a month after the admitting meeting (the numbers part sets it at check-in).
  await ctx.sys.db.updateTable('members').set({ late_entry: true }).where('id', '=', memberId).execute();
  for (const orgId of [h.ok, h.staffed]) {
    const r = await call(ctx.sys.app, 'POST', `/api/organizations/${orgId}/cadres`, tokens.school, {
      name: '书记',
      idNumber: idNumber('19950101'),
      role: 'secretary',
      post: '书记',
      termStart: '2025-01-01',
    });
    if (r.status !== 201) throw new Error(`cadre: ${JSON.stringify(r.body)}`);
  }
});

const health = (token: string, orgId: string, query = '') => call(ctx.sys.app, 'GET', `/api/organizations/${orgId}/health${query}`, token);
const listIds = async (kind: string, orgId = h.root) => {
  const r = await health(tokens.root, orgId, `?list=${kind}&limit=500`);
  expect(r.status).toBe(200);
  return (r.body.list.items as { orgId: string }[]).map((i) => i.orgId);
};

describe('R21 organization health', () => {
  it('R21: the counts of a subtree: hollow committees (and general branches), empty branches, branches without a secretary or a phone (R13), invalid data (R20), late entries (R19)', async () => {
    const r = await health(tokens.root, h.root);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      orgId: h.root,
      counts: { hollowCommittees: 2, emptyBranches: 3, branchesWithoutSecretary: 2, branchesWithoutPhone: 1, invalidData: 2, lateEntries: 1 },
    });
    // A subtree counts only itself: the school's.
    const school = await health(tokens.root, h.school);
    expect(school.body.counts).toEqual({
      hollowCommittees: 0,
      emptyBranches: 2,
      branchesWithoutSecretary: 1,
      branchesWithoutPhone: 1,
      invalidData: 1,
      lateEntries: 1,
    });
  });

  it('R21: each list names its organizations, by id, with the invalid fields and the late entries as detail', async () => {
    expect(await listIds('hollow-committee')).toEqual([h.hollow, h.hollowGeneral].sort());
    expect(await listIds('empty-branch')).toEqual([h.bare, h.quiet, h.staffed].sort());
    expect(await listIds('no-secretary')).toEqual([h.bare, h.quiet].sort());
    expect(await listIds('no-phone')).toEqual([h.bare]);
    expect(await listIds('late-entry')).toEqual([h.ok]);
    const invalid = await health(tokens.root, h.root, '?list=invalid-data');
    expect(invalid.body.list).toEqual({
      kind: 'invalid-data',
      items: [
        { orgId: h.badCode, name: '代码错误团委', kind: 'committee', path: `${rootPath}${h.badCode}/`, detail: 'creditCode: invalid' },
        { orgId: h.school, name: '某学校团委', kind: 'committee', path: `${rootPath}${h.school}/`, detail: 'schoolType: missing' },
      ].sort((a, b) => (a.orgId < b.orgId ? -1 : 1)),
      nextCursor: null,
    });
    const late = await health(tokens.root, h.root, '?list=late-entry');
    expect(late.body.list.items[0]).toMatchObject({ orgId: h.ok, kind: 'branch', detail: '1 late entries' });
  });

  it('R21: the data fixed, the problem leaves the count and the list (school type entered, phone entered)', async () => {
    const school = await call(ctx.sys.app, 'PATCH', `/api/organizations/${h.school}`, tokens.root, { schoolType: 'public' });
    expect(school.status).toBe(200);
    expect(await listIds('invalid-data')).toEqual([h.badCode]);
    const back = await call(ctx.sys.app, 'PATCH', `/api/organizations/${h.school}`, tokens.root, { schoolType: null });
    expect(back.status).toBe(200);
    expect(await listIds('invalid-data')).toEqual([h.badCode, h.school].sort());
  });

  it('R21: a list pages by cursor (keyset on the organization id): every item once, in order, then nextCursor null', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await health(tokens.root, h.root, `?list=empty-branch&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.list.items.length).toBeLessThanOrEqual(2);
      seen.push(...(r.body.list.items as { orgId: string }[]).map((i) => i.orgId));
      cursor = r.body.list.nextCursor as string | null;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(2);
    expect(seen).toEqual([h.bare, h.quiet, h.staffed].sort());
  });

  it('R21: a bad cursor, limit or list kind is 400 naming the query field', async () => {
    const bad = async (query: string, field: string) => {
      const r = await health(tokens.root, h.root, query);
      expect(r.status).toBe(400);
      expect(r.body.fields.map((f: { field: string }) => f.field)).toContain(field);
    };
    await bad('?list=empty-branch&cursor=%2F%2F%2F', 'query.cursor');
    await bad('?list=empty-branch&limit=501', 'querystring.limit');
    await bad('?list=everything', 'querystring.list');
  });

  it('R21: a branch secretary reads their own branch only; the committee and every level above read the subtree; a sibling, an unrelated committee and a member get 403', async () => {
    const own = await health(tokens.ok, h.ok);
    expect(own.status).toBe(200);
    expect(own.body.counts).toEqual({
      hollowCommittees: 0,
      emptyBranches: 0,
      branchesWithoutSecretary: 0,
      branchesWithoutPhone: 0,
      invalidData: 0,
      lateEntries: 1,
    });
    for (const orgId of [h.school, h.bare]) expect((await health(tokens.ok, orgId)).status).toBe(403);
    for (const token of [tokens.root, tokens.school, ctx.tree.tokens.province]) expect((await health(token, h.ok)).status).toBe(200);
    for (const token of [ctx.tree.tokens.county2, ctx.tree.tokens.sec1, await newMemberToken(ctx.sys.app)])
      expect((await health(token, h.root)).status).toBe(403);
    expect((await health(tokens.root, 'no-such-org')).status).toBe(404);
  });

  it('R20: the database checks a credit code as domain/identifiers.ts does (valid, wrong check character, wrong characters)', async () => {
    const valid = Array.from({ length: 40 }, () => creditCode());
    const wrongCheck = valid.map((c) => c.slice(0, 17) + (c[17] === '0' ? '1' : '0'));
    const codes = [...valid, ...wrongCheck, '91440300MA5XXXXX0Y', '9144030OMA5XXXXX0Y', '91440300', 'ZZ440300MA5XXXXX0Y'];
    const { rows } = await sql<{
      code: string;
      valid: boolean;
    }>`select code, tuanwu_credit_code_valid(code) as valid from unnest(${codes}::text[]) as t(code)`.execute(ctx.sys.db);
    for (const r of rows) expect(r.valid, r.code).toBe(creditCodeProblem(r.code) === undefined);
    expect(rows.filter((r) => r.valid)).toHaveLength(40);
  });
});

describe('R21 the daily health check', () => {
  const run = async (pageSize?: number) =>
    ctx.sys.env.client.workflow.execute(healthCheck, {
      taskQueue: ctx.sys.config.taskQueue,
      workflowId: `health-check-test-${randomBytes(4).toString('hex')}`,
      args: [{ orgPath: rootPath, ...(pageSize ? { pageSize } : {}) }],
    }) as Promise<HealthCheckResult>;
  const noticesAbout = (orgId: string) =>
    ctx.sys.db
      .selectFrom('notifications')
      .select(['recipient_org_id', 'message'])
      .where('kind', '=', 'data-problem')
      .where('idempotency_key', 'like', 'health:%')
      .where('message', 'like', `%(${orgId})`)
      .orderBy('id')
      .execute();
  const healthNotifications = async () =>
    (
      await ctx.sys.db
        .selectFrom('notifications')
        .select('id')
        .where('idempotency_key', 'like', 'health:%')
        .where('message', 'like', `%(${h.root.split('-')[0]}-%`)
        .execute()
    ).length;

  it('R21: each committee above a problem hears of it once: a second check (paged) notifies no one; a problem fixed and broken again is notified again', async () => {
    const first = await run();
    // hollow: root (2 committees above: province, root) and its general branch (3); the school's invalid data (2);
    // bare: empty, no secretary, no phone (3 x 3: province, root, school); staffed: empty (3); badCode: invalid (2);
    // quiet: empty, no secretary (2 x 3: province, root, badCode). The late entry is counted, not notified.
    expect(first).toEqual({ organizations: 9, problems: 10, notified: 27, cleared: 0 });
    expect(await healthNotifications()).toBe(27);
    const phone = await noticesAbout(h.bare);
    expect(
      phone
        .filter((n) => n.message.startsWith('R13'))
        .map((n) => n.recipient_org_id)
        .sort(),
    ).toEqual([ctx.tree.ids.province, h.root, h.school].sort());

    // Two organizations a page (five pages): each page keeps to its own organizations' notices.
    const second = await run(2);
    expect(second).toEqual({ organizations: 9, problems: 10, notified: 0, cleared: 0 });
    expect(await healthNotifications()).toBe(27);

    // The branch enters its phone: the problem is gone, its notices forgotten.
    expect((await call(ctx.sys.app, 'PATCH', `/api/organizations/${h.bare}`, tokens.school, { contactPhone: '0755-87654321' })).status).toBe(200);
    expect(await run()).toEqual({ organizations: 9, problems: 9, notified: 0, cleared: 3 });
    // Cleared again: a new occurrence, told again to the same three committees.
    expect((await call(ctx.sys.app, 'PATCH', `/api/organizations/${h.bare}`, tokens.school, { contactPhone: null })).status).toBe(200);
    expect(await run()).toEqual({ organizations: 9, problems: 10, notified: 3, cleared: 0 });
    const again = (await noticesAbout(h.bare)).filter((n) => n.message.startsWith('R13'));
    expect(again).toHaveLength(6);
    expect(await healthNotifications()).toBe(30);
  });

  it('R21: ensureHealthSchedule creates the daily schedule of the check for a subtree (updated in place on a restart)', async () => {
    const client = ctx.sys.env.client;
    const id = await ensureHealthSchedule(client, ctx.sys.config, { orgPath: rootPath });
    try {
      expect(id).toBe(`health-check:${ctx.sys.config.taskQueue}`);
      expect(await ensureHealthSchedule(client, { ...ctx.sys.config, health: { checkEveryMs: 3_600_000 } }, { orgPath: rootPath })).toBe(id);
      const d = await client.schedule.getHandle(id).describe();
      expect(d.spec.intervals?.map((i) => i.every)).toEqual([3_600_000]);
      expect(d.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'healthCheck',
        taskQueue: ctx.sys.config.taskQueue,
        args: [{ orgPath: rootPath }],
      });
    } finally {
      await client.schedule.getHandle(id).delete();
    }
  });
});

describe('R20 organization data', () => {
  const importAs = (organizations: Record<string, unknown>[]) => call(ctx.sys.app, 'POST', '/api/organizations/import', ADMIN_TOKEN, { organizations });
  const exists = async (id: string) => (await ctx.sys.db.selectFrom('organizations').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

  it('R20: importing an organization with a bad credit code imports the rest and reports that row (and the new organizations below it)', async () => {
    const p = `i${randomBytes(3).toString('hex')}`;
    const good = creditCode();
    const r = await importAs([
      { id: `${p}-a`, parentId: h.root, name: '甲团委', kind: 'committee', creditCode: good },
      { id: `${p}-bad`, parentId: h.root, name: '乙团委', kind: 'committee', creditCode: good.slice(0, 17) + (good[17] === '0' ? '1' : '0') },
      { id: `${p}-bad-b`, parentId: `${p}-bad`, name: '乙团支部', kind: 'branch' },
      { id: `${p}-a-b`, parentId: `${p}-a`, name: '甲团支部', kind: 'branch', contactPhone: '0755-12345678' },
    ]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ imported: 2, created: 2, updated: 0, unchanged: 0 });
    expect(r.body.rejected).toEqual([
      { index: 1, id: `${p}-bad`, field: 'body.organizations.1.creditCode', rule: 'R20', message: expect.stringMatching(/credit code/) },
      { index: 2, id: `${p}-bad-b`, field: 'body.organizations.2.parentId', rule: 'R20', message: expect.stringMatching(/parent/) },
    ]);
    expect(await exists(`${p}-a`)).toBe(true);
    expect(await exists(`${p}-a-b`)).toBe(true);
    expect(await exists(`${p}-bad`)).toBe(false);
    expect(await exists(`${p}-bad-b`)).toBe(false);

    // Re-importing an existing organization with a bad code leaves it as it was; a broken tree still refuses the whole import.
    const again = await importAs([{ id: `${p}-a`, parentId: h.root, name: '甲团委改名', kind: 'committee', creditCode: 'NOT-A-CODE' }]);
    expect(again.body).toMatchObject({ imported: 0, unchanged: 0, rejected: [{ index: 0, id: `${p}-a`, field: 'body.organizations.0.creditCode' }] });
    const row = await ctx.sys.db.selectFrom('organizations').select(['name', 'credit_code']).where('id', '=', `${p}-a`).executeTakeFirstOrThrow();
    expect(row).toEqual({ name: '甲团委', credit_code: good });
    const broken = await importAs([
      { id: `${p}-c`, parentId: `${p}-nowhere`, name: '丙团委', kind: 'committee' },
      { id: `${p}-d`, parentId: h.root, name: '丁团委', kind: 'committee', creditCode: 'NOT-A-CODE' },
    ]);
    expect(broken.status).toBe(422);
    expect(broken.body).toMatchObject({ rule: 'R20', fields: [{ field: 'body.organizations.0.parentId' }] });
    expect(await exists(`${p}-c`)).toBe(false);
  });

  it('R20: a bad credit code in an edit is 422 naming body.creditCode and nothing is persisted; every edit (and import) is an event by its actor; only the organization itself or its direct superior edits it', async () => {
    const id = `e${randomBytes(3).toString('hex')}`;
    const created = await importAs([{ id, parentId: h.school, name: '编辑团支部', kind: 'branch', contactPhone: '0755-12345678' }]);
    expect(created.body).toMatchObject({ created: 1, rejected: [] });
    const events = () => ctx.sys.db.selectFrom('events').select(['type', 'actor_id', 'payload']).where('org_id', '=', id).orderBy('id').execute();
    expect((await events()).map((e) => e.type)).toEqual(['org.created']);

    const bad = await call(ctx.sys.app, 'PATCH', `/api/organizations/${id}`, tokens.school, { name: '不应保存', creditCode: '91440300MA5XXXXX0Y' });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ rule: 'R20', fields: [{ field: 'body.creditCode', rule: 'R20' }] });
    expect((await ctx.sys.db.selectFrom('organizations').select(['name', 'credit_code']).where('id', '=', id).executeTakeFirstOrThrow()).name).toBe(
      '编辑团支部',
    );
    expect(await events()).toHaveLength(1);

    const code = creditCode();
    expect((await call(ctx.sys.app, 'PATCH', `/api/organizations/${id}`, tokens.school, { name: '改名团支部', creditCode: code })).status).toBe(200);
    expect((await importAs([{ id, parentId: h.school, name: '再改名团支部', kind: 'branch' }])).status).toBe(200);
    // Above the direct superior (root), beside it (county2): refused, nothing recorded.
    for (const token of [tokens.root, ctx.tree.tokens.county2])
      expect((await call(ctx.sys.app, 'PATCH', `/api/organizations/${id}`, token, { name: 'x' })).status).toBe(403);
    const all = await events();
    expect(all.map((e) => e.type)).toEqual(['org.created', 'org.updated', 'org.updated']);
    expect(all[1]!.payload).toEqual({ changes: { name: { old: '编辑团支部', new: '改名团支部' }, creditCode: { old: null, new: code } } });
    expect(all[2]!.payload).toEqual({ changes: { name: { old: '改名团支部', new: '再改名团支部' } } });
    const school = await ctx.sys.db
      .selectFrom('actors')
      .select('id')
      .where('org_id', '=', h.school)
      .where('role', '=', 'committee_admin')
      .executeTakeFirstOrThrow();
    expect(all[1]!.actor_id).toBe(school.id);
  });
});
