// R19 age-out (超龄离团) on the real server, Temporal and PostgreSQL: the sweep tells the branch a month before a
// member's 28th birthday (once), and on it the member leaves the league by age, unless the branch recorded an
// exception before the date. The sweep is run directly here, kept to this file's ctx.tree.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { activeMember, call, eventually, idNumber, newMemberToken, orgPath, profile, useSystemWithTree } from './harness';
import { ageOutSweep, type AgeOutInput } from '../workflows/age-out';
import { ensureAgeOutSchedule } from '../worker/schedules';
import { createAgeOutActivities } from '../activities/age-out';
import { addYears, ageOutDate } from '../domain/numbers';
import { birthDateOf } from '../domain/identifiers';

let rootPath: string;
const DAY = 86_400_000;

const ctx = useSystemWithTree();
beforeAll(async () => {
  rootPath = await orgPath(ctx.sys, ctx.tree.ids.province);
});

/** The birth date (YYYYMMDD) of someone who turns 28 `days` from now (negative: that many days ago). */
function turning28In(days: number): string {
  const d = new Date(Date.now() + days * DAY);
  return `${d.getUTCFullYear() - 28}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** An active member of branch1 who turns 28 `days` from now, and that date. */
async function memberTurning28In(days: number): Promise<{ memberId: string; date: string }> {
  const id = idNumber(turning28In(days));
  const memberId = await activeMember(ctx.sys.app, ctx.tree.ids.branch1, ctx.tree.tokens.sec1, { idNumber: id });
  return { memberId, date: ageOutDate(birthDateOf(id)) };
}

/** One run of the sweep over this file's tree, as the schedule runs it (optionally as of another instant). */
function sweep(asOf?: string): Promise<{ noticed: number; agedOut: number }> {
  const input: AgeOutInput = { noticeMs: ctx.sys.config.ageOut.noticeMs, orgPath: rootPath, ...(asOf ? { asOf } : {}) };
  return ctx.sys.env.client.workflow.execute(ageOutSweep, { taskQueue: ctx.sys.config.taskQueue, workflowId: `age-out-test-${randomUUID()}`, args: [input] });
}

const eventsOf = (memberId: string, type: string) =>
  ctx.sys.db.selectFrom('events').select(['type', 'org_id', 'payload']).where('member_id', '=', memberId).where('type', '=', type).execute();
const statusOf = async (memberId: string) =>
  (await ctx.sys.db.selectFrom('members').select('status').where('id', '=', memberId).executeTakeFirstOrThrow()).status;
const exception = (token: string, memberId: string, reason = 'the branch asks to keep the secretary until the elections') =>
  call(ctx.sys.app, 'POST', `/api/members/${memberId}/age-out-exception`, token, { reason });

describe('R19: age-out', () => {
  it("R19 age-out: the branch is told once, a month before the member's 28th birthday (two sweeps, one notification)", async () => {
    const soon = await memberTurning28In(10);
    const later = await memberTurning28In(60);
    const first = await sweep();
    expect(first.noticed).toBeGreaterThanOrEqual(1);
    expect(await sweep()).toEqual({ noticed: 0, agedOut: 0 });

    const notices = await ctx.sys.db
      .selectFrom('notifications')
      .select(['recipient_org_id', 'kind', 'message'])
      .where('idempotency_key', 'like', `age-out.notice:${soon.memberId}:%`)
      .execute();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatchObject({ recipient_org_id: ctx.tree.ids.branch1, kind: 'reminder' });
    expect(notices[0]!.message).toContain(soon.date);
    expect(notices[0]!.message).not.toContain('张三');
    expect(await eventsOf(soon.memberId, 'member.age-out-notice')).toEqual([
      { type: 'member.age-out-notice', org_id: ctx.tree.ids.branch1, payload: { ageOutDate: soon.date } },
    ]);
    // Two months before: not yet. Neither is out of the league yet.
    expect(await eventsOf(later.memberId, 'member.age-out-notice')).toEqual([]);
    expect([await statusOf(soon.memberId), await statusOf(later.memberId)]).toEqual(['active', 'active']);
  });

  it('R19 age-out: on the 28th birthday the member leaves the league by age (超龄离团, status aged_out) with an event, once', async () => {
    const past = await memberTurning28In(-3);
    const young = await memberTurning28In(400);
    const first = await sweep();
    expect(first.agedOut).toBeGreaterThanOrEqual(1);
    expect(await statusOf(past.memberId)).toBe('aged_out');
    expect(await statusOf(young.memberId)).toBe('active');
    expect(await sweep()).toEqual({ noticed: 0, agedOut: 0 });
    const events = await eventsOf(past.memberId, 'member.aged-out');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ org_id: ctx.tree.ids.branch1, payload: { ageOutDate: past.date } });
    const told = await ctx.sys.db.selectFrom('notifications').select('kind').where('idempotency_key', 'like', `age-out:${past.memberId}#%`).execute();
    expect(told).toEqual([{ kind: 'decision' }]);
    const record = await call(ctx.sys.app, 'GET', `/api/members/${past.memberId}`, ctx.tree.tokens.sec1);
    expect(record.body.status).toBe('aged_out');
    // Out of the league: a new check-in is refused by the member-status table (R19).
    const again = await call(ctx.sys.app, 'POST', '/api/check-ins', ctx.tree.tokens.sec1, {
      branchId: ctx.tree.ids.branch1,
      memberId: past.memberId,
      profile: profile(),
    });
    expect(again.status).toBe(422);
    expect(again.body.rule).toBe('R19');
  });

  it('R19 age-out: an exception the branch records before the date keeps the member in the league; a second one is 409', async () => {
    const kept = await memberTurning28In(10);
    const r = await exception(ctx.tree.tokens.sec1, kept.memberId);
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toEqual({ memberId: kept.memberId, reason: 'the branch asks to keep the secretary until the elections' });
    expect(await eventsOf(kept.memberId, 'member.age-out-exception')).toEqual([
      {
        type: 'member.age-out-exception',
        org_id: ctx.tree.ids.branch1,
        payload: { reason: 'the branch asks to keep the secretary until the elections', ageOutDate: kept.date },
      },
    ]);
    expect((await exception(ctx.tree.tokens.sec1, kept.memberId, 'again')).status).toBe(409);

    // The sweep as of the day after the birthday: the member stays, with neither notice nor event.
    const dayAfter = new Date(Date.parse(`${kept.date}T12:00:00+08:00`) + DAY).toISOString();
    await sweep(dayAfter);
    expect(await statusOf(kept.memberId)).toBe('active');
    expect(await eventsOf(kept.memberId, 'member.aged-out')).toEqual([]);
    expect(await eventsOf(kept.memberId, 'member.age-out-notice')).toEqual([]);
  });

  it('R19 age-out: an exception on or after the date is refused with 422 naming the rule; nothing is recorded', async () => {
    const past = await memberTurning28In(-2);
    const r = await exception(ctx.tree.tokens.sec1, past.memberId);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ rule: 'R19', fields: [expect.objectContaining({ field: 'params.id', rule: 'R19' })] });
    expect(r.body.message).toContain(past.date);
    expect(await ctx.sys.db.selectFrom('age_out_exceptions').select('member_id').where('member_id', '=', past.memberId).execute()).toEqual([]);
    expect(await eventsOf(past.memberId, 'member.age-out-exception')).toEqual([]);
    // Aged out: no exception either.
    await sweep();
    expect(await statusOf(past.memberId)).toBe('aged_out');
    expect((await exception(ctx.tree.tokens.sec1, past.memberId)).status).toBe(422);
  });

  it("R19 age-out: only the member's own branch records an exception (403: another branch, a committee above, the member)", async () => {
    const memberToken = await newMemberToken(ctx.sys.app);
    const id = idNumber(turning28In(20));
    const created = await call(ctx.sys.app, 'POST', '/api/check-ins', memberToken, { branchId: ctx.tree.ids.branch1, profile: profile({ idNumber: id }) });
    expect(created.status).toBe(201);
    const memberId = created.body.memberId as string;
    expect((await call(ctx.sys.app, 'POST', `/api/processes/${created.body.processId}/decisions`, ctx.tree.tokens.sec1, { action: 'approve' })).status).toBe(
      200,
    );

    for (const [who, token] of [
      ['another branch', ctx.tree.tokens.sec2],
      ['the school committee above', ctx.tree.tokens.school1],
      ['the city committee above', ctx.tree.tokens.city1],
      ['the province', ctx.tree.tokens.province],
      ['the member', memberToken],
    ] as const) {
      expect((await exception(token, memberId)).status, who).toBe(403);
    }
    expect(await ctx.sys.db.selectFrom('age_out_exceptions').select('member_id').where('member_id', '=', memberId).execute()).toEqual([]);
    expect((await exception(ctx.tree.tokens.sec1, randomUUID())).status).toBe(404);
    expect((await exception(ctx.tree.tokens.sec1, memberId, '')).status).toBe(400);
    expect((await exception(ctx.tree.tokens.sec1, memberId)).status).toBe(201);
  });

  it('R19 age-out: the sweep takes members a page at a time, and the pages together are the whole list', async () => {
    for (const days of [5, 6, 7]) await memberTurning28In(days);
    const activities = createAgeOutActivities({ db: ctx.sys.db });
    const input = { asOf: new Date().toISOString(), noticeMs: ctx.sys.config.ageOut.noticeMs, orgPath: rootPath };
    const whole = await activities.findAgingMembers({ ...input, limit: 1000 });
    expect(whole.next).toBeNull();
    expect(whole.notice.length).toBeGreaterThanOrEqual(3);
    const paged: string[] = [];
    let after: string | null = null;
    for (let pages = 0; ; pages++) {
      expect(pages).toBeLessThan(100);
      const page: Awaited<ReturnType<typeof activities.findAgingMembers>> = await activities.findAgingMembers({ ...input, after, limit: 1 });
      paged.push(...[...page.notice, ...page.ageOut].map((m) => m.memberId));
      if (page.next === null) break;
      after = page.next;
    }
    expect(paged).toEqual([...whole.notice, ...whole.ageOut].map((m) => m.memberId).sort());
  });

  it('R19 age-out: the 28th birthday is read from the ID number; 29 February falls on 28 February in a common year', () => {
    expect(ageOutDate(new Date('1998-12-09T00:00:00Z'))).toBe('2026-12-09');
    expect(addYears(new Date('2072-02-29T00:00:00Z'), 28)).toBe('2100-02-28');
    expect(addYears(new Date('1996-02-29T00:00:00Z'), 28)).toBe('2024-02-29');
  });

  it('R19 age-out: the sweep runs on a schedule, created at start-up and updated in place', async () => {
    const client = ctx.sys.env.client;
    // Its own task queue, polled by nobody, and a long interval: this schedule never runs a sweep here.
    const config = { ...ctx.sys.config, taskQueue: `age-out-schedule-${randomUUID()}`, ageOut: { ...ctx.sys.config.ageOut, checkEveryMs: 3_600_000 } };
    const id = await ensureAgeOutSchedule(client, config, { orgPath: rootPath });
    expect(id).toBe(`age-out:${config.taskQueue}`);
    try {
      expect(await ensureAgeOutSchedule(client, { ...config, ageOut: { ...config.ageOut, checkEveryMs: 7_200_000 } }, { orgPath: rootPath })).toBe(id);
      const d = await eventually(async () => {
        const s = await client.schedule.getHandle(id).describe();
        return s.spec.intervals?.[0]?.every === 7_200_000 && s;
      });
      expect(d.action).toMatchObject({
        type: 'startWorkflow',
        workflowType: 'ageOutSweep',
        taskQueue: config.taskQueue,
        args: [{ noticeMs: ctx.sys.config.ageOut.noticeMs, orgPath: rootPath }],
      });
      expect(d.policies.overlap).toBe('SKIP');
    } finally {
      await client.schedule.getHandle(id).delete();
    }
  });
});
