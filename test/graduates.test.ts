// R12 graduates on the real server and PostgreSQL: the roster starts transfers in bulk (safe to send again),
// and the transferred share is watched per school and per city against the year's targets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { importRoster as importRosterCli, type Progress } from '../scripts/import-graduates/import';
import {
  actorToken,
  call,
  eventually,
  graduateBranchRow,
  graduateMembers,
  idNumber,
  importOrgs,
  seedTree,
  startSystem,
  type System,
  type Tree,
} from './harness';

let sys: System;
let tree: Tree;
let grad1: string;
let grad2: string;
let school2: string;
let school2Admin: string;

beforeAll(async () => {
  sys = await startSystem();
  tree = await seedTree(sys.app);
  const s = randomBytes(2).toString('hex');
  grad1 = `${tree.ids.school1}-g26a${s}`;
  school2 = `${tree.ids.county2}-sch${s}`;
  grad2 = `${school2}-g26`;
  await importOrgs(sys.app, [
    graduateBranchRow(grad1, tree.ids.school1),
    { id: school2, parentId: tree.ids.county2, name: '另一中学团委', kind: 'committee', contactPhone: '020-11112222' },
    { ...graduateBranchRow(grad2, school2), graduationDate: '2026-07-01', contactPhone: '020-11113333' },
  ]);
  school2Admin = await actorToken(sys.app, 'committee_admin', school2);
  await sys.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await sys?.stop();
});

/** `n` members of a graduate branch, approved on `since`: before the cohort's base date (06-01), so they are in its base. */
async function graduates(branch: string, n: number, since = '2026-03-15T12:00:00Z'): Promise<{ memberId: string; idNumber: string }[]> {
  return graduateMembers(sys, { id: branch, secretary: await actorToken(sys.app, 'branch_secretary', branch) }, n, { since });
}

/** Dates a transfer's completion (approved meanwhile): the counts as of a past day see what was done by then. */
async function completedOn(processId: string, at: string): Promise<void> {
  await eventually(
    async () => (await sys.db.selectFrom('transfers').select('status').where('process_id', '=', processId).executeTakeFirst())?.status === 'approved',
    15_000,
    'the transfer approved',
  );
  await sys.db.updateTable('transfers').set({ completed_at: at }).where('process_id', '=', processId).execute();
}

/** A school with one graduate branch of `cohort` (graduation on 30 Jun), under county1; its admin, the branch's secretary. */
async function cohortSchool(cohort: number, name: string) {
  const s = randomBytes(2).toString('hex');
  const school = `${tree.ids.county1}-s${cohort % 100}${s}`;
  const branch = `${school}-g`;
  await importOrgs(sys.app, [
    { id: school, parentId: tree.ids.county1, name, kind: 'committee', contactPhone: '0755-22223333' },
    { ...graduateBranchRow(branch, school), graduationDate: `${cohort}-06-30`, contactPhone: '0755-22224444' },
  ]);
  return { school, branch, admin: await actorToken(sys.app, 'committee_admin', school), secretary: await actorToken(sys.app, 'branch_secretary', branch) };
}

const importRoster = (token: string, csv: string, key: string) =>
  sys.app
    .inject({
      method: 'POST',
      url: '/api/transfers/graduates/import',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', 'idempotency-key': key },
      payload: csv,
    })
    .then((r) => ({ status: r.statusCode, body: r.json() }));

describe('R12 graduates', () => {
  it("R12: a roster starts the graduates' transfers with a per-row report; sending it again starts nothing twice", async () => {
    const gs = await graduates(grad1, 3);
    const csv = [
      'idNumber,toOrgId',
      ...gs.map((g) => `${g.idNumber},${tree.ids.branch3}`),
      '110101200001011234,' + tree.ids.branch3, // a bad check digit
      `${idNumber('20000505')},${tree.ids.branch3}`, // nobody with this ID number
      '',
    ].join('\n');
    const first = await importRoster(tree.tokens.school1, csv, 'roster-2026-a');
    expect(first.status).toBe(200);
    expect(first.body, JSON.stringify(first.body.rows)).toMatchObject({ started: 3, alreadyStarted: 0, failed: 2 });
    expect(first.body.rows.map((r: { line: number; status: string }) => [r.line, r.status])).toEqual([
      [2, 'started'],
      [3, 'started'],
      [4, 'started'],
      [5, 'failed'],
      [6, 'failed'],
    ]);
    expect(first.body.rows[3].error).toMatchObject({ status: 400, fields: [{ field: 'idNumber' }] });
    expect(first.body.rows[4].error.status).toBe(404);
    // The report masks ID numbers.
    expect(JSON.stringify(first.body)).not.toContain(gs[0]!.idNumber);

    const again = await importRoster(tree.tokens.school1, csv, 'roster-2026-a');
    expect(again.body).toMatchObject({ started: 0, alreadyStarted: 3, failed: 2 });
    expect(again.body.rows.slice(0, 3).map((r: { processId: string }) => r.processId)).toEqual(
      first.body.rows.slice(0, 3).map((r: { processId: string }) => r.processId),
    );
    for (const g of gs) {
      // A row answers once Temporal accepted the start; the worker records it in the read model right after.
      const rows = await eventually(
        async () => {
          const r = await sys.db.selectFrom('transfers').select(['graduate_cohort', 'from_branch_id']).where('member_id', '=', g.memberId).execute();
          return r.length > 0 && r;
        },
        15_000,
        'the recorded transfer',
      );
      expect(rows).toEqual([{ graduate_cohort: 2026, from_branch_id: grad1 }]);
    }
  });

  it("R12: a roster row is refused for graduates outside the sender's organization, and for a bad header", async () => {
    const [g] = await graduates(grad1, 1);
    const r = await importRoster(school2Admin, `idNumber,toOrgId\n${g!.idNumber},${tree.ids.branch3}\n`, 'roster-x');
    expect(r.body.rows[0]).toMatchObject({ status: 'failed', error: { status: 403 } });
    expect(await sys.db.selectFrom('transfers').select('process_id').where('member_id', '=', g!.memberId).execute()).toHaveLength(0);
    const header = await importRoster(tree.tokens.school1, `name,idNumber\nx,${g!.idNumber}\n`, 'roster-y');
    expect(header.status).toBe(400);
    // A branch secretary does not file rosters.
    expect((await importRoster(tree.tokens.sec1, 'idNumber\n', 'roster-z')).status).toBe(403);
  });

  it('R12: the CLI imports a roster over HTTP with a progress bar; interrupted, the same command resumes without duplicates', async () => {
    const gs = await graduates(grad1, 6);
    const dir = mkdtempSync(join(tmpdir(), 'tuanwu-roster-'));
    const file = join(dir, 'roster.csv');
    writeFileSync(file, ['idNumber,toOrgId', ...gs.map((g) => `${g.idNumber},${tree.ids.branch3}`)].join('\n') + '\n');
    const apiUrl = `http://127.0.0.1:${(sys.app.server.address() as AddressInfo).port}`;

    // Interrupted after the first chunk of 2 rows.
    const stop = new AbortController();
    const seen: Progress[] = [];
    await expect(
      importRosterCli({
        file,
        apiUrl,
        token: tree.tokens.school1,
        chunkSize: 2,
        concurrency: 1,
        signal: stop.signal,
        onProgress: (p) => (seen.push(p), p.done >= 2 && stop.abort(new Error('interrupted'))),
      }),
    ).rejects.toThrow();
    expect(seen.at(-1)).toMatchObject({ done: 2, total: 6, started: 2 });

    // The same command again, as a user would run it: a progress line per chunk, a report, exit code 0.
    const report = join(dir, 'report.csv');
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'npx',
        ['tsx', 'scripts/import-graduates.ts', file, '--api', apiUrl, '--chunk', '2', '--report', report],
        { env: { ...process.env, TUANWU_TOKEN: tree.tokens.school1 }, cwd: join(import.meta.dirname, '..') },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\d+% 6\/6 rows/);
    const lines = readFileSync(report, 'utf8').trim().split('\n').slice(1);
    expect(lines.filter((l) => l.includes(',already-started,'))).toHaveLength(2);
    expect(lines.filter((l) => l.includes(',started,'))).toHaveLength(4);
    expect(readFileSync(report, 'utf8')).not.toContain(gs[0]!.idNumber);
    for (const g of gs) {
      await eventually(
        async () => (await sys.db.selectFrom('transfers').select('process_id').where('member_id', '=', g.memberId).execute()).length > 0,
        15_000,
        'the recorded transfer',
      );
      expect(await sys.db.selectFrom('transfers').select('process_id').where('member_id', '=', g.memberId).execute()).toHaveLength(1);
    }
  });

  it('R12: the transferred share per school and per city against the targets, marking who is behind today', async () => {
    const cohort = 2026;
    const before = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&asOf=2026-07-16`, tree.tokens.province);
    expect(before.status).toBe(200);
    const base = (id: string) => before.body.schools.find((x: { orgId: string }) => x.orgId === id) ?? { graduates: 0, transferred: 0 };

    // school2: 3 graduates, 1 transferred (33.3 %); school1 keeps its pending ones.
    const gs = await graduates(grad2, 3);
    const secretary2 = await actorToken(sys.app, 'branch_secretary', grad2);
    const t = await call(sys.app, 'POST', '/api/transfers', secretary2, { memberId: gs[0]!.memberId, toOrgId: tree.ids.branch1 });
    expect(t.status).toBe(201);
    expect((await call(sys.app, 'POST', `/api/processes/${t.body.processId}/decisions`, secretary2, { action: 'approve' })).status).toBe(200);
    expect((await call(sys.app, 'POST', `/api/processes/${t.body.processId}/decisions`, tree.tokens.sec1, { action: 'approve' })).status).toBe(200);
    // asOf bounds the counts (R12): the transfer is dated before 16 Jul to count on that day.
    await completedOn(t.body.processId as string, '2026-07-10T04:00:00Z');

    const july16 = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&asOf=2026-07-16`, tree.tokens.province);
    expect(july16.body.target).toEqual({ date: '2026-07-15', share: 30 });
    // Every dated target of the year, for the chart to draw (30/60/80/100 % by default).
    expect(july16.body.targets.map((x: { share: number }) => x.share)).toEqual([30, 60, 80, 100]);
    expect(july16.body.targets[0]).toEqual(july16.body.target);
    const s2 = july16.body.schools.find((x: { orgId: string }) => x.orgId === school2);
    expect(s2).toMatchObject({ graduates: base(school2).graduates + 3, transferred: base(school2).transferred + 1, cityId: tree.ids.city2 });
    expect(s2.share).toBeCloseTo((100 * s2.transferred) / s2.graduates, 1);
    expect(s2.behind).toBe(s2.share < 30);
    const s1 = july16.body.schools.find((x: { orgId: string }) => x.orgId === tree.ids.school1);
    expect(s1.transferred).toBe(0);
    expect(s1.behind).toBe(true);
    const city2 = july16.body.cities.find((c: { orgId: string }) => c.orgId === tree.ids.city2);
    expect(city2).toMatchObject({ graduates: s2.graduates, transferred: s2.transferred });

    // By 31 Jul the target is 60 %: school2 is behind too. Before 15 Jul nobody is behind.
    const july31 = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&asOf=2026-07-31`, tree.tokens.province);
    expect(july31.body.target.share).toBe(60);
    expect(july31.body.schools.find((x: { orgId: string }) => x.orgId === school2).behind).toBe(true);
    const june = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&asOf=2026-06-01`, tree.tokens.province);
    expect(june.body.target).toBeNull();
    expect(june.body.schools.every((x: { behind: boolean }) => !x.behind)).toBe(true);

    // A city admin sees its own city only; a city admin of another subtree is refused.
    const city1 = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}`, tree.tokens.city1);
    expect(city1.body.schools.map((x: { orgId: string }) => x.orgId)).not.toContain(school2);
    expect((await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&orgId=${tree.ids.city2}`, tree.tokens.city1)).status).toBe(403);
  });

  it('R12: deleting a graduate does not raise the transfer rate: the base is fixed at the base date and the deleted graduate is reported beside it', async () => {
    // The 2025 cohort, whose base date (06-01) has passed: four graduates in the branch since before it.
    const cohort = 2025;
    const s = randomBytes(2).toString('hex');
    const school = `${tree.ids.county1}-s25${s}`;
    const branch = `${school}-g25`;
    await importOrgs(sys.app, [
      { id: school, parentId: tree.ids.county1, name: '第三中学团委', kind: 'committee', contactPhone: '0755-22223333' },
      { ...graduateBranchRow(branch, school), name: '2025届毕业生团支部', graduationDate: '2025-06-30', contactPhone: '0755-22224444' },
    ]);
    const gs = await graduates(branch, 4, '2025-04-15T12:00:00Z');
    const secretary = await actorToken(sys.app, 'branch_secretary', branch);
    const decide = (id: string, token: string, body: object) => call(sys.app, 'POST', `/api/processes/${id}/decisions`, token, body);
    const stats = async () => {
      const r = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&orgId=${school}`, tree.tokens.city1);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };

    // One of the four transferred: 25 %.
    const t = await call(sys.app, 'POST', '/api/transfers', secretary, { memberId: gs[0]!.memberId, toOrgId: tree.ids.branch3 });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    expect((await decide(t.body.processId, secretary, { action: 'approve' })).status).toBe(200);
    expect((await decide(t.body.processId, tree.tokens.sec3, { action: 'approve' })).status).toBe(200);
    const before = await stats();
    expect(before.schools).toMatchObject([{ orgId: school, graduates: 4, transferred: 1, share: 25 }]);

    // The school has a graduate deleted (R14: applied, checked by the city, approved by the province).
    const applied = await call(sys.app, 'POST', '/api/deletions', secretary, { memberId: gs[1]!.memberId, category: 'left', reason: 'left for work abroad' });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect((await decide(applied.body.processId, tree.tokens.city1, { action: 'approve' })).status).toBe(200);
    expect((await decide(applied.body.processId, tree.tokens.province, { action: 'approve' })).status).toBe(200);
    expect((await sys.db.selectFrom('members').select('status').where('id', '=', gs[1]!.memberId).executeTakeFirstOrThrow()).status).toBe('deleted');

    // Still 1 of 4: the deleted graduate stays in the base, and is reported beside the rate.
    const after = await stats();
    expect(after.schools).toMatchObject([{ orgId: school, graduates: 4, transferred: 1, share: 25 }]);
    expect(after.base).toEqual({ date: '2025-06-01', fixed: true });
    expect(before.schools[0].deleted).toBe(0);
    expect(after.schools).toEqual([
      { orgId: school, name: '第三中学团委', cityId: tree.ids.city1, graduates: 4, transferred: 1, deleted: 1, share: 25, behind: true },
    ]);
    expect(after.cities).toEqual([{ orgId: tree.ids.city1, name: '深圳团市委', graduates: 4, transferred: 1, deleted: 1, share: 25, behind: true }]);
    expect(after.total).toEqual({ graduates: 4, transferred: 1, deleted: 1, share: 25 });

    // Someone who joined the branch after the base date is not in that cohort's base.
    await graduates(branch, 1, new Date().toISOString());
    expect((await stats()).total).toEqual({ graduates: 4, transferred: 1, deleted: 1, share: 25 });
  });
  it("R12: a later edit of the graduate branch's data (its graduation date, its special kind) does not change the cohort's base: it is read as it stood on the base date", async () => {
    const cohort = 2024;
    const o = await cohortSchool(cohort, '第四中学团委');
    await graduates(o.branch, 3, '2024-03-15T12:00:00Z');
    const stats = async () => {
      const r = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&orgId=${o.school}`, tree.tokens.city1);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    expect((await stats()).total).toEqual({ graduates: 3, transferred: 0, deleted: 0, share: 0 });

    // The school, direct parent, moves the branch to the next cohort, then makes it an ordinary branch (R20 allows both).
    const patch = (body: object) => call(sys.app, 'PATCH', `/api/organizations/${o.branch}`, o.admin, body);
    const moved = await patch({ graduationDate: '2025-06-30' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect((await stats()).total).toEqual({ graduates: 3, transferred: 0, deleted: 0, share: 0 });
    const plain = await patch({ specialKind: 'none', graduationDate: null });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    const after = await stats();
    expect(after.total).toEqual({ graduates: 3, transferred: 0, deleted: 0, share: 0 });
    expect(after.schools).toMatchObject([{ orgId: o.school, graduates: 3, behind: true }]);
    // Nor does the next cohort gain them: on its base date the branch was no longer a graduate branch.
    const next = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=2025&orgId=${o.school}`, tree.tokens.city1);
    expect(next.body.total.graduates).toBe(0);
  });

  it('R12: asOf bounds every count: a transfer or a deletion after asOf is not counted on that day', async () => {
    const cohort = 2023;
    const o = await cohortSchool(cohort, '第五中学团委');
    const gs = await graduates(o.branch, 2, '2023-03-15T12:00:00Z');
    const t = await call(sys.app, 'POST', '/api/transfers', o.secretary, { memberId: gs[0]!.memberId, toOrgId: tree.ids.branch3 });
    expect(t.status, JSON.stringify(t.body)).toBe(201);
    expect((await call(sys.app, 'POST', `/api/processes/${t.body.processId}/decisions`, o.secretary, { action: 'approve' })).status).toBe(200);
    expect((await call(sys.app, 'POST', `/api/processes/${t.body.processId}/decisions`, tree.tokens.sec3, { action: 'approve' })).status).toBe(200);
    await completedOn(t.body.processId as string, '2023-07-20T04:00:00Z');
    const at = async (asOf: string) => {
      const r = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&orgId=${o.school}&asOf=${asOf}`, tree.tokens.city1);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    expect((await at('2023-07-19')).total).toEqual({ graduates: 2, transferred: 0, deleted: 0, share: 0 });
    // 20 Jul 04:00 UTC is 12:00 in Shanghai: counted on the office day 2023-07-20.
    expect((await at('2023-07-20')).total).toEqual({ graduates: 2, transferred: 1, deleted: 0, share: 50 });
    // Before the base date has passed as of asOf, the base is not fixed yet.
    expect((await at('2023-05-31')).base).toEqual({ date: '2023-06-01', fixed: false });
    expect((await at('2023-06-02')).base).toEqual({ date: '2023-06-01', fixed: true });
  });

  it('R12: a correction of the base is its own event, by a committee above the school with a reason; the school itself may not correct it', async () => {
    const cohort = 2022;
    const o = await cohortSchool(cohort, '第六中学团委');
    const gs = await graduates(o.branch, 3, '2022-03-15T12:00:00Z');
    // A graduate the base missed: in another branch of the school on the base date.
    const missed = await graduates(tree.ids.branch1, 1, '2022-03-15T12:00:00Z');
    const stats = async (asOf?: string) => {
      const q = asOf ? `&asOf=${asOf}` : '';
      const r = await call(sys.app, 'GET', `/api/stats/graduate-transfers?cohort=${cohort}&orgId=${o.school}${q}`, tree.tokens.city1);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body;
    };
    expect((await stats()).total.graduates).toBe(3);
    const correct = (token: string, body: Record<string, unknown>) => call(sys.app, 'POST', '/api/stats/graduate-transfers/base-corrections', token, body);
    const remove = { cohort, schoolId: o.school, memberId: gs[2]!.memberId, change: 'remove', reason: '该生复读，不属于本届毕业生' };

    // The school's rate is what the base measures: the school may not correct it; nor without a reason.
    expect((await correct(o.admin, remove)).status).toBe(403);
    expect((await correct(tree.tokens.city1, { ...remove, reason: undefined })).status).toBe(400);
    expect((await stats()).total.graduates).toBe(3);

    const removed = await correct(tree.tokens.city1, remove);
    expect(removed.status, JSON.stringify(removed.body)).toBe(201);
    const added = await correct(tree.tokens.city1, { cohort, schoolId: o.school, memberId: missed[0]!.memberId, change: 'add', reason: '漏报的毕业生' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const now = await stats();
    expect(now.total).toEqual({ graduates: 3, transferred: 0, deleted: 0, share: 0 });
    const counted = await sys.db
      .selectFrom('graduate_base_corrections')
      .select(['member_id', 'change'])
      .where('school_id', '=', o.school)
      .orderBy('occurred_at')
      .execute();
    expect(counted).toEqual([
      { member_id: gs[2]!.memberId, change: 'remove' },
      { member_id: missed[0]!.memberId, change: 'add' },
    ]);
    const events = await sys.db
      .selectFrom('events')
      .select(['type', 'payload', 'org_id'])
      .where('type', '=', 'graduates.base-corrected')
      .where('org_id', '=', o.school)
      .execute();
    expect(events).toHaveLength(2);
    expect(events[0]!.payload).toMatchObject({ cohort, change: 'remove', reason: remove.reason });
    // The correction undone: the last correction of a school and member decides.
    expect((await correct(tree.tokens.city1, { ...remove, change: 'add', reason: '核实后恢复' })).status).toBe(201);
    expect((await stats()).total.graduates).toBe(4);
    // A day before the corrections were made, the counts were those of that day.
    expect((await stats('2022-07-31')).total.graduates).toBe(3);
  });
});
