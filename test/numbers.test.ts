// R19 development numbers on the real server and PostgreSQL: ranges issued by a committee above, the check at
// check-in, voiding, "every number accounted for", stale ranges, the admitting meeting and late entries, and no
// member under 14.
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, idNumber, newMemberToken, orgPath, profile, useSystemWithTree } from './harness';
import { CheckInSubmission, checkInInput, checkInWorkflowId } from '../domain/check-in';
import { checkIn as checkInWorkflow } from '../workflows/check-in';
import { candidatePrefixes, formatNumber, isLateEntry, meetingDateProblem, prefixesOverlap, sequenceOf, widthOf } from '../domain/numbers';

let rootPath: string;
const DAY = 86_400_000;
/** A join year with ranges in this file's tree (the rule applies to it); 2016, profile()'s default, has none. */
const YEAR = 2026;
const JOIN = `${YEAR}-03-01`;

const ctx = useSystemWithTree();
beforeAll(async () => {
  rootPath = await orgPath(ctx.sys, ctx.tree.ids.province);
});

/** A prefix no other range has (prefixes are unique across the database). */
const newPrefix = () => `T${randomBytes(4).toString('hex').toUpperCase()}`;

const issue = (token: string, orgId: string, o: { prefix?: string; count?: number; year?: number } = {}) =>
  call(ctx.sys.app, 'POST', '/api/numbers/ranges', token, { orgId, year: o.year ?? YEAR, prefix: o.prefix ?? newPrefix(), count: o.count ?? 50 });

/** Issues a range and answers it (fails the test otherwise). */
async function range(token: string, orgId: string, o: { prefix?: string; count?: number; year?: number } = {}) {
  const r = await issue(token, orgId, o);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as { id: string; prefix: string; count: number; first: string; last: string };
}

const checkIn = (token: string, branchId: string, prof: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  call(ctx.sys.app, 'POST', '/api/check-ins', token, { branchId, profile: prof, ...extra });
const voidNumber = (token: string, number: string, reason = 'the form was spoiled') =>
  call(ctx.sys.app, 'POST', '/api/numbers/void', token, { number, reason });
const detail = (token: string, id: string) => call(ctx.sys.app, 'GET', `/api/numbers/ranges/${id}`, token);

const rangesWithPrefix = async (prefix: string) =>
  (await ctx.sys.db.selectFrom('number_ranges').select('id').where('prefix', 'like', `${prefix}%`).execute()).length;
const memberByIdNumber = (id: string) => ctx.sys.db.selectFrom('members').select(['id', 'development_number']).where('id_number', '=', id).executeTakeFirst();
const treeProcesses = async () =>
  Number(
    (
      await ctx.sys.db
        .selectFrom('processes')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('org_path', 'like', `${rootPath}%`)
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('R19: ranges of development numbers', () => {
  it('R19: a committee above issues a range; the organization itself, a sibling, a branch or a member may not (403, nothing kept)', async () => {
    const byCity = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1);
    expect(byCity).toMatchObject({ orgId: ctx.tree.ids.school1, year: YEAR, count: 50, counts: { used: 0, voided: 0, open: 50 } });
    await range(ctx.tree.tokens.province, ctx.tree.ids.school1);
    await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1);
    const events = await ctx.sys.db.selectFrom('events').select(['type', 'payload']).where('idempotency_key', '=', `numbers.issued:${byCity.id}`).execute();
    expect(events).toEqual([{ type: 'numbers.issued', payload: { rangeId: byCity.id, year: YEAR, prefix: byCity.prefix, count: 50 } }]);

    const member = await newMemberToken(ctx.sys.app);
    for (const [who, token, orgId] of [
      ['the school itself', ctx.tree.tokens.school1, ctx.tree.ids.school1],
      ['a committee of another city', ctx.tree.tokens.county2, ctx.tree.ids.school1],
      ['a branch for itself', ctx.tree.tokens.sec1, ctx.tree.ids.branch1],
      ['a member', member, ctx.tree.ids.branch1],
    ] as const) {
      const prefix = newPrefix();
      const r = await issue(token, orgId, { prefix });
      expect(r.status, who).toBe(403);
      expect(await rangesWithPrefix(prefix), who).toBe(0);
    }
    const unknown = await issue(ctx.tree.tokens.province, `${ctx.tree.ids.province}-nowhere`);
    expect(unknown.status).toBe(422);
    expect(unknown.body.fields[0]).toMatchObject({ field: 'body.orgId', rule: 'R19' });
  });

  it('R19: a number is the prefix and the sequence zero-padded to the digits of the count (first and last)', async () => {
    const prefix = newPrefix();
    for (const [count, first, last] of [
      [500, '001', '500'],
      [9, '1', '9'],
      [1000, '0001', '1000'],
      [100_000, '000001', '100000'],
    ] as const) {
      const r = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { prefix: `${prefix}C${count}X`, count });
      expect(r.first).toBe(`${prefix}C${count}X${first}`);
      expect(r.last).toBe(`${prefix}C${count}X${last}`);
    }
    expect(formatNumber({ prefix: 'GD2026SZ01', width: widthOf(500) }, 1)).toBe('GD2026SZ01001');
    const shape = { prefix: 'GD2026SZ01', count: 500, width: 3 };
    expect(sequenceOf(shape, 'GD2026SZ01500')).toBe(500);
    expect([
      sequenceOf(shape, 'GD2026SZ01501'),
      sequenceOf(shape, 'GD2026SZ01000'),
      sequenceOf(shape, 'GD2026SZ0150'),
      sequenceOf(shape, 'GD2026SZ010011'),
    ]).toEqual([undefined, undefined, undefined, undefined]);
    expect(candidatePrefixes('ABC')).toEqual(['A', 'AB']);
    expect([prefixesOverlap('GD26', 'GD2'), prefixesOverlap('GD2', 'GD26'), prefixesOverlap('GD26', 'GD27')]).toEqual([true, true, false]);

    // Too many, or a number that would be longer than 32 characters: 400 naming the field.
    const tooMany = await issue(ctx.tree.tokens.city1, ctx.tree.ids.school1, { count: 100_001 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.fields.map((f: { field: string }) => f.field)).toContain('body.count');
    const tooLong = await issue(ctx.tree.tokens.city1, ctx.tree.ids.school1, { prefix: `${newPrefix()}${'A'.repeat(20)}`, count: 1000 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.fields.map((f: { field: string }) => f.field)).toContain('body.prefix');
  });

  it("R19: a prefix that begins another range's, or that another begins, is refused with 409 naming body.prefix; nothing is kept", async () => {
    const prefix = newPrefix();
    await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { prefix });
    for (const other of [prefix, `${prefix}7`, prefix.slice(0, -1)]) {
      const r = await issue(ctx.tree.tokens.city1, ctx.tree.ids.school1, { prefix: other });
      expect(r.status, other).toBe(409);
      expect(r.body).toMatchObject({ rule: 'R19', fields: [expect.objectContaining({ field: 'body.prefix', rule: 'R19' })] });
    }
    expect(await rangesWithPrefix(prefix.slice(0, -1))).toBe(1);
  });
});

describe('R19: the number at check-in', () => {
  it("R19: a number from a range of the member's branch, or of a committee above it, is accepted and then used", async () => {
    const own = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1, { count: 20 });
    const above = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { count: 20 });
    const n1 = formatNumber({ prefix: own.prefix, width: 2 }, 3);
    const n2 = formatNumber({ prefix: above.prefix, width: 2 }, 7);
    const a = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: JOIN, developmentNumber: n1 }));
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    const b = await checkIn(ctx.tree.tokens.sec2, ctx.tree.ids.branch2, profile({ joinDate: JOIN, developmentNumber: n2 }));
    expect(b.status, JSON.stringify(b.body)).toBe(201);

    const ownDetail = await detail(ctx.tree.tokens.sec1, own.id);
    expect(ownDetail.status).toBe(200);
    expect(ownDetail.body.used).toEqual([{ number: n1, memberId: a.body.memberId }]);
    expect(ownDetail.body.open).not.toContain(n1);
    expect(ownDetail.body.counts).toEqual({ used: 1, voided: 0, open: 19 });
    const aboveDetail = await detail(ctx.tree.tokens.school1, above.id);
    expect(aboveDetail.body.used).toEqual([{ number: n2, memberId: b.body.memberId }]);
  });

  it('R19: a number outside every range, of another branch, or of another year is refused with 422 naming body.profile.developmentNumber; nothing is persisted', async () => {
    const sibling = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch2, { count: 20 });
    const lastYear = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { count: 20, year: YEAR - 1 });
    const before = await treeProcesses();
    for (const [why, number] of [
      ['outside every range', `Z${randomBytes(6).toString('hex').toUpperCase()}`],
      ["of a range of another branch (its sibling's)", sibling.first],
      ['of a range of another year', lastYear.first],
      ['beyond the count of a range', `${sibling.prefix}21`],
    ] as const) {
      const prof = profile({ joinDate: JOIN, developmentNumber: number });
      const r = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
      expect(r.status, why).toBe(422);
      expect(r.body.rule, why).toBe('R19');
      expect(r.body.fields, why).toEqual([expect.objectContaining({ field: 'body.profile.developmentNumber', rule: 'R19' })]);
      expect(await memberByIdNumber(prof.idNumber as string), why).toBeUndefined();
    }
    expect(await treeProcesses()).toBe(before);
    // A join year without ranges in this tree: the rule does not apply (numbers of earlier years were not issued here).
    const older = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: '2016-05-04' }));
    expect(older.status).toBe(201);
  });

  it('R19: a used number, or a voided one, is refused at check-in with 422', async () => {
    const r = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1, { count: 10 });
    const first = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: JOIN, developmentNumber: r.first }));
    expect(first.status).toBe(201);
    const used = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: JOIN, developmentNumber: r.first }));
    expect(used.status).toBe(422);
    expect(used.body).toMatchObject({ rule: 'R19', fields: [expect.objectContaining({ field: 'body.profile.developmentNumber' })] });

    expect((await voidNumber(ctx.tree.tokens.sec1, r.last)).status).toBe(201);
    const prof = profile({ joinDate: JOIN, developmentNumber: r.last });
    const voided = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    expect(voided.status).toBe(422);
    expect(voided.body).toMatchObject({ rule: 'R19', fields: [expect.objectContaining({ field: 'body.profile.developmentNumber', rule: 'R19' })] });
    expect(voided.body.message).toMatch(/voided/);
    expect(await memberByIdNumber(prof.idNumber as string)).toBeUndefined();
  });

  it("R19: a number voided after the API's check is not taken: the check-in's first write refuses it and keeps nothing", async () => {
    // The race: the void commits between the API's check and the workflow's first write. The workflow is started as
    // the API would start it, with the number already voided, so only the write's own check stands in the way.
    const r = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1, { count: 5 });
    expect((await voidNumber(ctx.tree.tokens.sec1, r.first)).status).toBe(201);
    const branch = await ctx.sys.db.selectFrom('organizations').selectAll().where('id', '=', ctx.tree.ids.branch1).executeTakeFirstOrThrow();
    const prof = profile({ joinDate: JOIN, developmentNumber: r.first });
    const memberId = randomUUID();
    const input = checkInInput(branch, {
      memberId,
      submittedBy: 'test',
      linkActorId: null,
      profile: CheckInSubmission.shape.profile.parse(prof),
      timing: ctx.sys.config.timing.checkIn,
    });
    const result = await ctx.sys.env.client.workflow.execute(checkInWorkflow, {
      workflowId: checkInWorkflowId(memberId),
      taskQueue: ctx.sys.config.taskQueue,
      args: [input],
    });
    expect(result.status).toBe('rejected');
    expect(await memberByIdNumber(prof.idNumber as string)).toBeUndefined();
    expect(await ctx.sys.db.selectFrom('processes').select('id').where('id', '=', input.processId).executeTakeFirst()).toBeUndefined();
    expect((await detail(ctx.tree.tokens.school1, r.id)).body.counts).toEqual({ used: 0, voided: 1, open: 4 });
  });
});

describe('R19: voiding and every number accounted for', () => {
  it('R19: a used or unknown number cannot be voided (422), a voided one not again (409); the organization or a committee above voids', async () => {
    const r = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1, { count: 10 });
    const n = (seq: number) => formatNumber({ prefix: r.prefix, width: 2 }, seq);
    expect((await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: JOIN, developmentNumber: n(1) }))).status).toBe(201);

    const used = await voidNumber(ctx.tree.tokens.sec1, n(1));
    expect(used.status).toBe(422);
    expect(used.body.fields).toEqual([expect.objectContaining({ field: 'body.number', rule: 'R19' })]);
    for (const unknown of [`${r.prefix}11`, `${r.prefix}1`, 'NOSUCHRANGE01']) {
      const u = await voidNumber(ctx.tree.tokens.sec1, unknown);
      expect(u.status, unknown).toBe(422);
      expect(u.body.fields[0].field).toBe('body.number');
    }
    // Another branch, or a committee of another city: 403; nothing kept.
    expect((await voidNumber(ctx.tree.tokens.sec2, n(2))).status).toBe(403);
    expect((await voidNumber(ctx.tree.tokens.county2, n(2))).status).toBe(403);
    expect(await ctx.sys.db.selectFrom('number_voids').select('number').where('range_id', '=', r.id).execute()).toEqual([]);

    const ok = await voidNumber(ctx.tree.tokens.sec1, n(2), 'spoiled');
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ number: n(2), rangeId: r.id });
    expect((await voidNumber(ctx.tree.tokens.school1, n(3), 'not needed this year')).status).toBe(201);
    const again = await voidNumber(ctx.tree.tokens.school1, n(2));
    expect(again.status).toBe(409);
    const events = await ctx.sys.db
      .selectFrom('events')
      .select('type')
      .where('idempotency_key', '=', `numbers.voided:${n(2)}`)
      .execute();
    expect(events).toEqual([{ type: 'numbers.voided' }]);
    const noReason = await call(ctx.sys.app, 'POST', '/api/numbers/void', ctx.tree.tokens.sec1, { number: n(4), reason: '' });
    expect(noReason.status).toBe(400);
  });

  it('R19: every number of a range is accounted for: used + voided + open = count, each number once', async () => {
    const r = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1, { count: 20 });
    const n = (seq: number) => formatNumber({ prefix: r.prefix, width: 2 }, seq);
    for (const seq of [4, 11]) {
      expect((await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: JOIN, developmentNumber: n(seq) }))).status).toBe(201);
    }
    for (const seq of [1, 2, 20]) expect((await voidNumber(ctx.tree.tokens.sec1, n(seq))).status).toBe(201);

    const d = await detail(ctx.tree.tokens.sec1, r.id);
    expect(d.status).toBe(200);
    expect(d.body.counts).toEqual({ used: 2, voided: 3, open: 15 });
    const used = d.body.used.map((u: { number: string }) => u.number);
    const voided = d.body.voided.map((v: { number: string; reason: string }) => v.number);
    expect(used).toEqual([n(4), n(11)]);
    expect(voided).toEqual([n(1), n(2), n(20)]);
    expect(d.body.voided[0]).toMatchObject({ reason: 'the form was spoiled', voidedAt: expect.any(String) });
    const all = [...used, ...voided, ...d.body.open].sort();
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => n(i + 1)));

    // The list shows the same counts; who may read: the branch, the committees above; not a sibling or another city.
    const list = await call(ctx.sys.app, 'GET', `/api/numbers/ranges?orgId=${ctx.tree.ids.school1}&year=${YEAR}&limit=1000`, ctx.tree.tokens.school1);
    expect(list.status).toBe(200);
    expect(list.body.items.find((i: { id: string }) => i.id === r.id)).toMatchObject({ counts: { used: 2, voided: 3, open: 15 } });
    expect((await detail(ctx.tree.tokens.city1, r.id)).status).toBe(200);
    expect((await detail(ctx.tree.tokens.sec2, r.id)).status).toBe(403);
    expect((await detail(ctx.tree.tokens.county2, r.id)).status).toBe(403);
    expect((await call(ctx.sys.app, 'GET', `/api/numbers/ranges?orgId=${ctx.tree.ids.school1}`, ctx.tree.tokens.county2)).status).toBe(403);
  });

  it('R19: ranges with open numbers are listed as stale once issued longer ago than the threshold (stale=true: the configured age)', async () => {
    const old = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { count: 5 });
    const oldDone = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { count: 1 });
    expect((await voidNumber(ctx.tree.tokens.school1, oldDone.first)).status).toBe(201);
    const fresh = await range(ctx.tree.tokens.city1, ctx.tree.ids.school1, { count: 5 });
    const days = Math.ceil(ctx.sys.config.numbers.openAfterMs / DAY) + 10;
    await sql`update number_ranges set issued_at = now() - ${days} * interval '1 day' where id in (${old.id}, ${oldDone.id})`.execute(ctx.sys.db);

    const ids = async (query: string) => {
      const r = await call(ctx.sys.app, 'GET', `/api/numbers/ranges?orgId=${ctx.tree.ids.school1}&limit=1000&${query}`, ctx.tree.tokens.school1);
      expect(r.status).toBe(200);
      return (r.body.items as { id: string }[]).map((i) => i.id).filter((id) => [old.id, oldDone.id, fresh.id].includes(id));
    };
    expect(await ids('stale=true')).toEqual([old.id]);
    expect((await ids('openOlderThanDays=0')).sort()).toEqual([old.id, fresh.id].sort());
    expect(await ids(`openOlderThanDays=${days + 5}`)).toEqual([]);
    expect((await ids('stale=false')).sort()).toEqual([old.id, oldDone.id, fresh.id].sort());
    // The county of the other city sees none of them; the city above sees them in its subtree.
    const city = await call(ctx.sys.app, 'GET', `/api/numbers/ranges?orgId=${ctx.tree.ids.city1}&stale=true&limit=1000`, ctx.tree.tokens.city1);
    expect(city.body.items.map((i: { id: string }) => i.id)).toContain(old.id);
    const other = await call(ctx.sys.app, 'GET', `/api/numbers/ranges?stale=true`, ctx.tree.tokens.county2);
    expect(other.status).toBe(200);
    expect(other.body.items.map((i: { id: string }) => i.id)).not.toContain(old.id);
  });
});

describe('R19: the admitting meeting and the age at the join date', () => {
  const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10);

  it('R19: a member entered more than a month after the admitting meeting is accepted and flagged (late entry); within the month, not flagged', async () => {
    const r = await range(ctx.tree.tokens.school1, ctx.tree.ids.branch1, { count: 10 });
    const late = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: daysAgo(40), developmentNumber: r.first }), {
      meetingDate: daysAgo(40),
    });
    expect(late.status, JSON.stringify(late.body)).toBe(201);
    const onTime = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ joinDate: daysAgo(5), developmentNumber: r.last }), {
      meetingDate: daysAgo(6),
    });
    expect(onTime.status, JSON.stringify(onTime.body)).toBe(201);
    const row = (id: string) => ctx.sys.db.selectFrom('members').select(['meeting_date', 'late_entry']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(await row(late.body.memberId)).toEqual({ meeting_date: daysAgo(40), late_entry: true });
    expect(await row(onTime.body.memberId)).toEqual({ meeting_date: daysAgo(6), late_entry: false });
    // Without a meeting date (clients from before it), nothing is flagged.
    const without = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile());
    expect(await row(without.body.memberId)).toEqual({ meeting_date: null, late_entry: false });

    // The month after the meeting is a calendar month of Shanghai's calendar: met on 31 January, entered by 24:00
    // on 28 February; met on 1 March, by 24:00 on 1 April (00:30 Shanghai is 16:30 UTC the day before).
    expect(isLateEntry('2026-01-31', new Date('2026-02-28T15:59:00Z'))).toBe(false);
    expect(isLateEntry('2026-01-31', new Date('2026-02-28T16:30:00Z'))).toBe(true);
    expect(isLateEntry('2026-03-01', new Date('2026-04-01T15:59:00Z'))).toBe(false);
    expect(isLateEntry('2026-03-01', new Date('2026-04-01T16:30:00Z'))).toBe(true);
    // A configured duration of whole days counts natural days.
    expect(isLateEntry('2026-01-01', new Date('2026-01-31T15:59:00Z'), 31 * DAY)).toBe(false);
    expect(isLateEntry('2026-01-01', new Date('2026-02-01T16:01:00Z'), 31 * DAY)).toBe(true);
  });

  it('R19: a meeting date in the future, after the join date, or before the 14th birthday is refused with 422 naming body.meetingDate; nothing is persisted', async () => {
    const before = await treeProcesses();
    const tomorrow = new Date(Date.now() + 2 * DAY).toISOString().slice(0, 10);
    for (const [why, joinDate, meetingDate] of [
      ['in the future', '2016-05-04', tomorrow],
      ['after the join date', '2016-05-04', '2016-05-05'],
      ['before the 14th birthday', '2016-05-04', '2013-01-01'],
    ] as const) {
      const prof = profile({ joinDate });
      const r = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof, { meetingDate });
      expect(r.status, why).toBe(422);
      expect(r.body, why).toMatchObject({ rule: 'R19', fields: [expect.objectContaining({ field: 'body.meetingDate', rule: 'R19' })] });
      expect(await memberByIdNumber(prof.idNumber as string), why).toBeUndefined();
    }
    expect(await treeProcesses()).toBe(before);
    const notADate = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile(), { meetingDate: '2016-02-30' });
    expect(notADate.status).toBe(400);
    expect(meetingDateProblem('2016-05-04', '2016-05-04', new Date('2000-01-01T00:00:00Z'), new Date())).toBeUndefined();
  });

  it('R19: no member under 14 at the join date: 422 naming the rule and the join date; nothing is persisted', async () => {
    const before = await treeProcesses();
    // Born 2003-06-01, joining 2017-05-31: a day short of 14.
    const prof = profile({ idNumber: idNumber('20030601'), joinDate: '2017-05-31' });
    const r = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, prof);
    expect(r.status).toBe(422);
    expect(r.body.rule).toBe('R19');
    expect(r.body.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'profile.joinDate', rule: 'R19' })]));
    expect(await memberByIdNumber(prof.idNumber)).toBeUndefined();
    expect(await treeProcesses()).toBe(before);
    // On the 14th birthday itself: accepted.
    const fourteen = await checkIn(ctx.tree.tokens.sec1, ctx.tree.ids.branch1, profile({ idNumber: idNumber('20030601'), joinDate: '2017-06-01' }));
    expect(fourteen.status, JSON.stringify(fourteen.body)).toBe(201);
  });
});
