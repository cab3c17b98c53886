// R18 dues on the real server and PostgreSQL: payments one at a time and by batch file, payment rates per
// organization, and the scheduled check that reminds at 5 unpaid months and opens a removal case at 6.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { activeMember, call, eventually, profile, seedTree, startSystem, type System, type Tree } from './harness';
import iconv from 'iconv-lite';
import { DEFAULT_DUES_MAX_AHEAD_MONTHS, DUES_BATCH_COLUMNS, addMonths, monthOf, monthStart, monthsBetween, paymentMonthProblem } from '../domain/dues';
import { readTable } from '../domain/tables';
import { loadConfig } from '../domain/config';
import { disciplineWorkflowId } from '../domain/discipline';
import { disciplineStarter } from '../temporal/discipline-start';
import { createDuesActivities } from '../activities/dues';
import { ensureDuesSchedule } from '../worker/schedules';

let sys: System;
let tree: Tree;
const thisMonth = monthOf(new Date());

beforeAll(async () => {
  // Paying ahead is limited to 3 months here (6 by default), to show the setting is what the API applies.
  sys = await startSystem({ dues: { checkEveryMs: 2000, maxAheadMonths: 3 } });
  tree = await seedTree(sys.app);
});
afterAll(async () => {
  await sys?.stop();
});

const pay = (token: string, memberId: string, month: string, amountCents = 50) =>
  call(sys.app, 'POST', '/api/dues/payments', token, { memberId, month, amountCents });
const ledger = (memberId: string) =>
  sys.db.selectFrom('dues_payments').select(['month', 'amount_cents', 'batch_key']).where('member_id', '=', memberId).orderBy('month').execute();
const paidEvents = (memberId: string) =>
  sys.db.selectFrom('events').select(['idempotency_key', 'payload']).where('member_id', '=', memberId).where('type', '=', 'dues.paid').execute();
const batch = (token: string, csv: string, key?: string) =>
  sys.app.inject({
    method: 'POST',
    url: '/api/dues/payments/batch',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv', ...(key ? { 'idempotency-key': key } : {}) },
    payload: csv,
  });
/** Makes a member look approved at `month` (a mid-month instant), as if activated then. */
const activatedIn = (memberId: string, month: string) =>
  sys.db
    .updateTable('members')
    .set({ locked_at: `${monthStart(month).slice(0, 8)}15T12:00:00Z` })
    .where('id', '=', memberId)
    .execute();

describe('R18 dues', () => {
  it('R18: the limit on paying ahead counts calendar months of the office (Shanghai), across the end of a year; arrears reach back to the join month', () => {
    // 2024-12-31 23:59:59 in Shanghai is still December; 00:00 on 1 January in Shanghai (16:00 UTC the day before) is January.
    expect(monthOf('2024-12-31T15:59:59Z')).toBe('2024-12');
    expect(monthOf(new Date('2024-12-31T16:00:00Z'))).toBe('2025-01');
    expect(monthOf('2025-03-09')).toBe('2025-03');
    expect(addMonths('2024-11', 3)).toBe('2025-02');
    expect(addMonths('2025-01', -1)).toBe('2024-12');
    expect(addMonths('2024-06', -18)).toBe('2022-12');
    expect(monthsBetween('2024-10', '2025-04')).toBe(6);
    expect(monthsBetween('2025-04', '2024-10')).toBe(-6);
    const limits = { maxAheadMonths: 6, joinDate: '2016-05-04' };
    expect(paymentMonthProblem('2025-06', '2024-12-15T10:00:00Z', limits)).toBeUndefined();
    expect(paymentMonthProblem('2024-06', '2024-12-15T10:00:00Z', limits)).toBeUndefined();
    expect(paymentMonthProblem('2025-07', '2024-12-15T10:00:00Z', limits)).toMatchObject({ rule: 'R18', message: expect.stringMatching(/7 months ahead/) });
    // Arrears of any age, back to the month the member joined, and not before it.
    expect(paymentMonthProblem('2024-05', '2024-12-15T10:00:00Z', limits)).toBeUndefined();
    expect(paymentMonthProblem('2016-05', '2024-12-15T10:00:00Z', limits)).toBeUndefined();
    expect(paymentMonthProblem('2016-04', '2024-12-15T10:00:00Z', limits)).toMatchObject({
      rule: 'R18',
      message: expect.stringMatching(/before the member joined/),
    });
    expect(DEFAULT_DUES_MAX_AHEAD_MONTHS).toBe(6);
    expect(loadConfig({}).dues.maxAheadMonths).toBe(6);
    expect(loadConfig({ TUANWU_DUES_MAX_AHEAD_MONTHS: '12' }).dues.maxAheadMonths).toBe(12);
    expect(() => loadConfig({ TUANWU_DUES_MAX_AHEAD_MONTHS: '-1' })).toThrow();
  });

  it("R18: a batch file as offices save it (a BOM, CRLF, a blank line, quoted and padded cells, or GB18030) is read by the uploads' table reader to the same rows, file lines kept", async () => {
    // The rows' payments and problems, and a wrong header, are the batch route's: see the batch tests below.
    const id = randomUUID();
    const file = `\uFEFFmemberId,month,amountCents\r\n${id},2025-01,50\r\n\r\n"${id}", 2025-1 ,"五十"\r\n`;
    const utf8 = await readTable(Buffer.from(file), { contentType: 'text/csv', maxRows: 10 });
    expect(utf8).toEqual({
      format: 'csv',
      encoding: 'utf-8',
      header: [...DUES_BATCH_COLUMNS],
      headerLine: 1,
      rows: [
        { line: 2, cells: [id, '2025-01', '50'] },
        { line: 4, cells: [id, '2025-1', '五十'] },
      ],
    });
    expect(await readTable(iconv.encode(file.slice(1), 'gb18030'), { maxRows: 10 })).toEqual({ ...utf8, encoding: 'gb18030' });
    expect(await readTable(iconv.encode(file.slice(1), 'gbk'), { contentType: 'text/csv; charset=GBK', maxRows: 10 })).toEqual({
      ...utf8,
      encoding: 'gb18030',
    });
  });

  it('R18: a payment is recorded once; paying further ahead than configured, or for a month before the member joined, is refused with 422 naming the field', async () => {
    const m = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const first = await pay(tree.tokens.sec1, m, thisMonth, 50);
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ memberId: m, month: thisMonth, amountCents: 50, branchId: tree.ids.branch1 });
    const again = await pay(tree.tokens.sec1, m, thisMonth, 50);
    expect(again.status).toBe(409);
    expect(again.body.rule).toBe('R18');

    // profile() joins on 2016-05-04: no dues before that month.
    for (const month of [addMonths(thisMonth, 4), addMonths(thisMonth, 12), '2016-04']) {
      const refused = await pay(tree.tokens.sec1, m, month);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ rule: 'R18', fields: [{ field: 'body.month', rule: 'R18' }] });
    }
    // Exactly the configured months ahead, and arrears of any age back to the join month, are accepted; a committee above the branch may record too.
    expect((await pay(tree.tokens.sec1, m, addMonths(thisMonth, 3))).status).toBe(201);
    expect((await pay(tree.tokens.sec1, m, addMonths(thisMonth, -6))).status).toBe(201);
    expect((await pay(tree.tokens.sec1, m, '2016-05')).status).toBe(201);
    expect((await pay(tree.tokens.school1, m, addMonths(thisMonth, 1))).status).toBe(201);

    // Another branch's secretary, an unrelated committee: refused; an unknown member: 404; a bad month: 400.
    expect((await pay(tree.tokens.sec2, m, addMonths(thisMonth, 2))).status).toBe(403);
    expect((await pay(tree.tokens.county2, m, addMonths(thisMonth, 2))).status).toBe(403);
    expect((await pay(tree.tokens.sec1, randomUUID(), thisMonth)).status).toBe(404);
    const badMonth = await pay(tree.tokens.sec1, m, `${thisMonth.slice(0, 4)}-13`);
    expect(badMonth.status).toBe(400);
    expect(badMonth.body.fields[0].field).toBe('body.month');
    expect((await call(sys.app, 'POST', '/api/dues/payments', tree.tokens.sec1, { memberId: m, month: thisMonth, amountCents: 0 })).status).toBe(400);

    const paid = ['2016-05', ...[-6, 0, 1, 3].map((n) => addMonths(thisMonth, n))];
    expect((await ledger(m)).map((r) => r.month)).toEqual(paid.map(monthStart));
    const events = await paidEvents(m);
    expect(events.map((e) => e.idempotency_key).sort()).toEqual(paid.map((month) => `dues:${m}:${month}`).sort());
    expect(events.find((e) => e.idempotency_key === `dues:${m}:${thisMonth}`)!.payload).toMatchObject({ month: thisMonth, amountCents: 50 });

    // A month already in the ledger (written outside the API) is a conflict, and leaves no event behind.
    const outside = addMonths(thisMonth, -3);
    await sys.db
      .insertInto('dues_payments')
      .values({ member_id: m, month: monthStart(outside), amount_cents: 50, recorded_by: 'test' })
      .execute();
    expect((await pay(tree.tokens.sec1, m, outside)).status).toBe(409);
    expect((await paidEvents(m)).some((e) => e.idempotency_key === `dues:${m}:${outside}`)).toBe(false);
  });

  it('R18: a member 8 months behind pays all the arrears; the removal case then closes as resolved', async () => {
    // A tree of its own: the daily check's test below reads this file's tree.
    const t = await seedTree(sys.app);
    const m = await activeMember(sys.app, t.ids.branch1, t.tokens.sec1);
    // Activated 9 months ago and never paid: the 8 complete months before this one are unpaid.
    await activatedIn(m, addMonths(thisMonth, -9));
    const opened = await call(sys.app, 'POST', '/api/discipline', t.tokens.sec1, { memberId: m, grounds: 'unpaid-dues', details: '8 months of dues unpaid' });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const id = opened.body.processId as string;
    const resolve = () => call(sys.app, 'POST', `/api/processes/${id}/decisions`, t.tokens.sec1, { action: 'resolve' });
    const early = await resolve();
    expect(early.status).toBe(422);
    expect(early.body.rule).toBe('R18');

    // Every month of the arrears, the oldest first, each within the month it is recorded in.
    for (let n = -8; n <= -1; n++) {
      const r = await pay(t.tokens.sec1, m, addMonths(thisMonth, n));
      expect(r.status, `${addMonths(thisMonth, n)}: ${JSON.stringify(r.body)}`).toBe(201);
    }
    expect((await ledger(m)).map((r) => r.month)).toEqual(Array.from({ length: 8 }, (_, i) => monthStart(addMonths(thisMonth, i - 8))));
    const resolved = await resolve();
    expect(resolved.status, JSON.stringify(resolved.body)).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    expect(await sys.db.selectFrom('processes').select(['status', 'step']).where('id', '=', id).executeTakeFirstOrThrow()).toEqual({
      status: 'resolved',
      step: 'closed',
    });
    expect(await sys.db.selectFrom('members').select(['status', 'sanction']).where('id', '=', m).executeTakeFirstOrThrow()).toEqual({
      status: 'active',
      sanction: null,
    });
  });

  it('dues: paying more than the configured months ahead is refused with 422 naming body.month', async () => {
    const max = sys.config.dues.maxAheadMonths;
    expect(max).toBe(3);
    const m = await activeMember(sys.app, tree.ids.branch2, tree.tokens.sec2);
    const refused = await pay(tree.tokens.sec2, m, addMonths(thisMonth, max + 1));
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      rule: 'R18',
      fields: [{ field: 'body.month', rule: 'R18', message: expect.stringMatching(new RegExp(`${max + 1} months ahead.*${max} months`)) }],
    });
    expect(await ledger(m)).toEqual([]);
    // In a batch file the row fails the same way, naming its column; the month at the limit is recorded.
    const file = await batch(
      tree.tokens.sec2,
      `memberId,month,amountCents\n${m},${addMonths(thisMonth, max + 1)},50\n${m},${addMonths(thisMonth, max)},50\n`,
      `batch-${randomUUID()}`,
    );
    expect(file.json()).toMatchObject({
      recorded: 1,
      failed: 1,
      rows: [
        { line: 2, status: 'failed', error: { status: 422, rule: 'R18', fields: [{ field: 'month' }] } },
        { line: 3, status: 'recorded' },
      ],
    });
    expect((await ledger(m)).map((r) => r.month)).toEqual([monthStart(addMonths(thisMonth, max))]);
  });

  it('R18: a batch file records each row once, and the same file again records nothing twice', async () => {
    const m1 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const m2 = await activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const elsewhere = await activeMember(sys.app, tree.ids.branch3, tree.tokens.sec3);
    const prev = addMonths(thisMonth, -1);
    const csv = [
      'memberId,month,amountCents',
      `${m1},${thisMonth},50`,
      `${m2},${thisMonth},50`,
      `${m1},${prev},50`,
      `${m1},${thisMonth},50`,
      `${m2},${addMonths(thisMonth, 8)},50`,
      `${randomUUID()},${thisMonth},50`,
      `${elsewhere},${thisMonth},50`,
      '',
      `not-a-member,${thisMonth.slice(0, 4)}-1,abc`,
    ].join('\n');
    const key = `batch-${randomUUID()}`;

    const first = await batch(tree.tokens.sec1, csv, key);
    expect(first.statusCode).toBe(200);
    const report = first.json();
    expect(report).toMatchObject({ batch: key, recorded: 3, alreadyPaid: 1, failed: 4 });
    const rows = report.rows as { line: number; status: string; error?: { status: number; rule?: string; fields?: { field: string }[] } }[];
    expect(rows.map((r) => [r.line, r.status, r.error?.status])).toEqual([
      [2, 'recorded', undefined],
      [3, 'recorded', undefined],
      [4, 'recorded', undefined],
      [5, 'already-paid', 409],
      [6, 'failed', 422],
      [7, 'failed', 404],
      [8, 'failed', 403],
      [10, 'failed', 400],
    ]);
    expect(rows[4]!.error).toMatchObject({ rule: 'R18', fields: [{ field: 'month' }] });
    expect(rows[7]!.error!.fields!.map((f) => f.field).sort()).toEqual(['amountCents', 'memberId', 'month']);

    const snapshot = async () => ({
      l1: await ledger(m1),
      l2: await ledger(m2),
      e1: (await paidEvents(m1)).length,
      e2: (await paidEvents(m2)).length,
      other: await ledger(elsewhere),
    });
    const after = await snapshot();
    expect(after).toMatchObject({ e1: 2, e2: 1, other: [] });
    expect(after.l1).toEqual([
      { month: monthStart(prev), amount_cents: 50, batch_key: key },
      { month: monthStart(thisMonth), amount_cents: 50, batch_key: key },
    ]);

    // The same file again (a retry after a lost answer): the same report, and nothing written twice.
    const retry = await batch(tree.tokens.sec1, csv, key);
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual(report);
    expect(await snapshot()).toEqual(after);

    // Under another key, the rows are seen as already paid.
    const other = await batch(tree.tokens.sec1, csv, `batch-${randomUUID()}`);
    expect(other.json()).toMatchObject({ recorded: 0, alreadyPaid: 4, failed: 4 });
    expect(await snapshot()).toEqual(after);

    // The key is required; a file with the wrong header is refused whole.
    expect((await batch(tree.tokens.sec1, csv)).statusCode).toBe(400);
    const badHeader = await batch(tree.tokens.sec1, `member,month,amount\n${m1},${thisMonth},50`, `batch-${randomUUID()}`);
    expect(badHeader.statusCode).toBe(400);
    expect(badHeader.json().fields[0].field).toBe('body');
  });

  it('R18: payment rates per organization for a month come from one query over the subtree', async () => {
    const t = await seedTree(sys.app);
    const b1 = await Promise.all([0, 1, 2].map(() => activeMember(sys.app, t.ids.branch1, t.tokens.sec1)));
    const b2 = await Promise.all([0, 1].map(() => activeMember(sys.app, t.ids.branch2, t.tokens.sec2)));
    // A check-in still pending review is not a member yet (R1): not counted.
    expect((await call(sys.app, 'POST', '/api/check-ins', t.tokens.sec1, { branchId: t.ids.branch1, profile: profile() })).status).toBe(201);
    for (const m of [b1[0]!, b1[1]!]) expect((await pay(t.tokens.sec1, m, thisMonth)).status).toBe(201);
    expect((await pay(t.tokens.sec2, b2[0]!, thisMonth)).status).toBe(201);
    // Another month's payment does not count for this one.
    expect((await pay(t.tokens.sec2, b2[1]!, addMonths(thisMonth, 1))).status).toBe(201);

    const stats = (token: string, orgId: string, month = thisMonth) => call(sys.app, 'GET', `/api/stats/dues?orgId=${orgId}&month=${month}`, token);
    const school = await stats(t.tokens.school1, t.ids.school1);
    expect(school.status).toBe(200);
    expect(school.body).toEqual({
      month: thisMonth,
      organization: { orgId: t.ids.school1, name: '某中学团委', kind: 'committee', members: 5, paid: 3, rate: 60 },
      children: [
        { orgId: t.ids.branch1, name: '高一(1)班团支部', kind: 'branch', members: 3, paid: 2, rate: 66.7 },
        { orgId: t.ids.branch2, name: '高一(2)班团支部', kind: 'branch', members: 2, paid: 1, rate: 50 },
      ],
    });
    const province = await stats(t.tokens.province, t.ids.province);
    expect(province.body.organization).toMatchObject({ members: 5, paid: 3, rate: 60 });
    expect(province.body.children).toEqual(
      [
        { orgId: t.ids.city2, name: '广州团市委', kind: 'committee', members: 0, paid: 0, rate: null },
        { orgId: t.ids.city1, name: '深圳团市委', kind: 'committee', members: 5, paid: 3, rate: 60 },
      ].sort((a, b) => a.orgId.localeCompare(b.orgId)),
    );
    // A branch's own numbers; and members approved this month are not counted for an earlier month.
    expect((await stats(t.tokens.sec1, t.ids.branch1)).body).toMatchObject({ organization: { members: 3, paid: 2 }, children: [] });
    expect((await stats(t.tokens.school1, t.ids.school1, addMonths(thisMonth, -1))).body.organization).toMatchObject({ members: 0, paid: 0, rate: null });

    // Outside the caller's subtree: refused.
    expect((await stats(t.tokens.county2, t.ids.school1)).status).toBe(403);
    expect((await stats(t.tokens.sec1, t.ids.school1)).status).toBe(403);
    expect((await stats(t.tokens.sec1, t.ids.branch2)).status).toBe(403);
    expect((await stats(t.tokens.school1, t.ids.school1, `${thisMonth.slice(0, 4)}-00`)).status).toBe(400);
  });

  it('R18: creating the dues schedule at start-up is idempotent', async () => {
    const client = sys.env.client;
    // Its own task queue, polled by nobody, and long intervals: this schedule never runs a check here.
    const config = { ...sys.config, taskQueue: `dues-schedule-${randomUUID()}`, dues: { ...sys.config.dues, checkEveryMs: 3_600_000 } };
    const id = await ensureDuesSchedule(client, config);
    expect(id).toBe(`dues-check:${config.taskQueue}`);
    try {
      // A restart with another interval updates the schedule instead of failing.
      expect(await ensureDuesSchedule(client, { ...config, dues: { ...config.dues, checkEveryMs: 7_200_000 } })).toBe(id);
      const d = await client.schedule.getHandle(id).describe();
      expect(d.spec.intervals?.map((i) => i.every)).toEqual([7_200_000]);
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'duesCheck', taskQueue: config.taskQueue, args: [{}] });
      expect(d.policies.overlap).toBe('SKIP');
      expect(d.info.numActionsTaken).toBe(0);
      const listed = await eventually(
        async () => {
          const ids: string[] = [];
          for await (const s of client.schedule.list()) if (s.scheduleId === id) ids.push(s.scheduleId);
          return ids.length > 0 && ids;
        },
        30_000,
        'the schedule to be listed',
      );
      expect(listed).toEqual([id]);
    } finally {
      await client.schedule.getHandle(id).delete();
    }
  });

  it('R18: the daily check reminds the branch at 5 unpaid months and opens a removal case at 6, unless one is already open', async () => {
    const client = sys.env.client;
    const last = addMonths(thisMonth, -1);
    const member = () => activeMember(sys.app, tree.ids.branch1, tree.tokens.sec1);
    const [a, a2, b, b2, c, d] = [await member(), await member(), await member(), await member(), await member(), await member()];
    // a: activated 6 months ago, never paid: 5 unpaid months. a2: paid 6 months ago, nothing since: 5.
    await activatedIn(a, addMonths(thisMonth, -6));
    await activatedIn(a2, addMonths(thisMonth, -9));
    expect((await pay(tree.tokens.sec1, a2, addMonths(thisMonth, -6))).status).toBe(201);
    // b: activated 7 months ago, never paid: 6. b2: last paid 7 months ago: 6, with a case already open.
    await activatedIn(b, addMonths(thisMonth, -7));
    await activatedIn(b2, addMonths(thisMonth, -10));
    await sys.db
      .insertInto('dues_payments')
      .values({ member_id: b2, month: monthStart(addMonths(thisMonth, -7)), amount_cents: 50, recorded_by: 'test' })
      .execute();
    const opened = await disciplineStarter({ db: sys.db, client, config: sys.config })({
      memberId: b2,
      grounds: 'unpaid-dues',
      details: 'opened by the branch',
      startedBy: 'test',
    });
    expect(opened).toMatchObject({ created: true });
    const b2Run = (await client.workflow.getHandle(disciplineWorkflowId(b2)).describe()).runId;
    // c: activated 7 months ago and paid last month: paid up. d: activated this month.
    await activatedIn(c, addMonths(thisMonth, -7));
    expect((await pay(tree.tokens.sec1, c, last)).status).toBe(201);

    // Kept to this file's tree: other test files share the database and open cases of their own.
    const root = await sys.db.selectFrom('organizations').select('path').where('id', '=', tree.ids.province).executeTakeFirstOrThrow();
    const scheduleId = await ensureDuesSchedule(client, sys.config, { orgPath: root.path });
    const schedule = client.schedule.getHandle(scheduleId);
    try {
      const reminders = (memberId: string) =>
        sys.db
          .selectFrom('events')
          .select(['idempotency_key', 'org_id', 'payload'])
          .where('member_id', '=', memberId)
          .where('type', '=', 'dues.reminder')
          .execute();
      for (const m of [a, a2]) {
        const [event] = await eventually(
          async () => {
            const r = await reminders(m);
            return r.length > 0 && r;
          },
          30_000,
          `the reminder for ${m}`,
        );
        expect(event).toMatchObject({ idempotency_key: `dues-reminder:${m}:${last}`, org_id: tree.ids.branch1, payload: { month: last, months: 5 } });
        const note = await sys.db.selectFrom('notifications').selectAll().where('idempotency_key', 'like', `dues-reminder:${m}:%`).executeTakeFirstOrThrow();
        expect(note).toMatchObject({ recipient_org_id: tree.ids.branch1, kind: 'reminder', process_id: null });
        expect(note.message).toMatch(/5 consecutive months of unpaid dues.*6 opens a removal case/);
        expect(note.message).not.toContain('张三');
      }
      const bRun = await eventually(async () => (await client.workflow.getHandle(disciplineWorkflowId(b)).describe()).runId, 30_000, 'the removal case of b');
      expect(disciplineWorkflowId(b)).toBe(`discipline-${b}`);

      const resultOf = async (n: number) => {
        const run = (await schedule.describe()).info.recentActions[n]!.action.workflow;
        return client.workflow.getHandle(run.workflowId, run.firstExecutionRunId).result();
      };
      expect(await resultOf(0)).toEqual({ reminded: 2, opened: 1, alreadyOpen: 1 });

      // Two more runs after that: nothing new for anyone.
      const taken = (await schedule.describe()).info.numActionsTaken;
      await eventually(async () => (await schedule.describe()).info.numActionsTaken >= taken + 2, 30_000, 'two more runs of the check');
      expect(await resultOf((await schedule.describe()).info.recentActions.length - 1)).toEqual({ reminded: 0, opened: 0, alreadyOpen: 2 });

      expect((await client.workflow.getHandle(disciplineWorkflowId(b)).describe()).runId).toBe(bRun);
      expect((await client.workflow.getHandle(disciplineWorkflowId(b2)).describe()).runId).toBe(b2Run);
      for (const m of [a, a2]) expect(await reminders(m)).toHaveLength(1);
      expect(await sys.db.selectFrom('notifications').select('id').where('idempotency_key', 'like', `dues-reminder:${a}:%`).execute()).toHaveLength(1);
      // Under 5 months, or at 6 and more: no reminder; under 6: no case.
      for (const m of [b, b2, c, d]) expect(await reminders(m)).toHaveLength(0);
      for (const m of [a, a2, c, d]) await expect(client.workflow.getHandle(disciplineWorkflowId(m)).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

      // Page by page (as the workflow reads them), the same members are found as in one go.
      const activities = createDuesActivities({ db: sys.db, client, config: sys.config });
      const found = { remind: new Set<string>(), remove: new Set<string>() };
      let after: string | null = null;
      do {
        const page: Awaited<ReturnType<typeof activities.findUnpaidStreaks>> = await activities.findUnpaidStreaks({
          asOf: new Date().toISOString(),
          after,
          limit: 1,
          orgPath: root.path,
        });
        expect(page.month).toBe(last);
        for (const m of page.remind) found.remind.add(m.memberId);
        for (const m of page.remove) found.remove.add(m.memberId);
        after = page.next;
      } while (after !== null);
      expect([...found.remind].sort()).toEqual([a, a2].sort());
      expect([...found.remove].sort()).toEqual([b, b2].sort());

      // A case handled during this streak (here dismissed by the branch) is not opened again by the next day's check.
      const bCase = await sys.db.selectFrom('processes').select('id').where('member_id', '=', b).where('kind', '=', 'discipline').executeTakeFirstOrThrow();
      expect(
        (await call(sys.app, 'POST', `/api/processes/${bCase.id}/decisions`, tree.tokens.sec1, { action: 'reject', reason: 'was abroad, exempt' })).status,
      ).toBe(200);
      const after2 = await activities.findUnpaidStreaks({ asOf: new Date().toISOString(), orgPath: root.path });
      expect(after2.remove.map((m) => m.memberId).sort()).toEqual([b2]);
    } finally {
      await schedule.delete();
      for (const m of [b, b2])
        await client.workflow
          .getHandle(disciplineWorkflowId(m))
          .terminate('test over')
          .catch(() => undefined);
    }
  });
});
