// The office calendar (DOMAIN: dates are office dates in Asia/Shanghai), with a fixed clock at 00:30 Shanghai on
// the first of a month, when UTC still reads the day (and the month) before: every date rule counts Shanghai's.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  addCalendarMonths,
  addDays,
  calendarMonthsEnd,
  naturalDaysEnd,
  officeDay,
  officeDayEnd,
  officeDayStart,
  officeMonth,
  stepDeadline,
  wholeYears,
} from '../domain/calendar';
import { profileRuleProblems } from '../domain/members';
import { isLateEntry, meetingDateProblem } from '../domain/numbers';
import { birthDateOf, idNumberProblem } from '../domain/identifiers';
import { monthOf, paymentMonthProblem } from '../domain/dues';
import { graduateBaseAt } from '../domain/graduates';
import { DEFAULT_CHECK_IN_TIMING } from '../domain/durations';
import { disciplineTimingFromEnv } from '../domain/discipline';
import { disciplineProcess } from '../processes/discipline';
import { lastDays, lastMonths } from '../api/stats';
import { call, idNumber, profile, seedTree, startSystem, type System, type Tree } from './harness';

/** 1 Dec 2026, 00:30 in Shanghai: still 30 Nov in UTC. */
const FIRST_0030 = new Date('2026-11-30T16:30:00Z');
/** 1 Jan 2027, 00:30 in Shanghai: still 2026 in UTC. */
const NEW_YEAR_0030 = new Date('2026-12-31T16:30:00Z');
const HOUR = 3_600_000;

describe('the office calendar, at 00:30 Shanghai on the first of a month', () => {
  it("DOMAIN office dates: today, this month and this year are Shanghai's, not UTC's", () => {
    expect(officeDay(FIRST_0030)).toBe('2026-12-01');
    expect(officeMonth(FIRST_0030)).toBe('2026-12');
    expect(officeDay(NEW_YEAR_0030)).toBe('2027-01-01');
    expect(officeDayStart('2026-12-01')).toBe(Date.parse('2026-11-30T16:00:00Z'));
    expect(officeDayEnd('2026-12-01')).toBe(Date.parse('2026-12-01T16:00:00Z'));
  });

  it('R19: a join date of today is accepted at 00:30 Shanghai (not "in the future"); tomorrow is refused', () => {
    const id = idNumber('20000301');
    const joinedToday = profileRuleProblems({ idNumber: id, joinDate: '2026-12-01', developmentNumber: 'GD2026000001' }, FIRST_0030);
    expect(joinedToday.filter((p) => p.field === 'profile.joinDate')).toEqual([]);
    const tomorrow = profileRuleProblems({ idNumber: id, joinDate: '2026-12-02', developmentNumber: 'GD2026000001' }, FIRST_0030);
    expect(tomorrow).toEqual([expect.objectContaining({ field: 'profile.joinDate', rule: 'R19', message: 'the join date is in the future' })]);
    // The admitting meeting (R19) and a birth date (GB 11643) of today are not in the future either.
    expect(meetingDateProblem('2026-12-01', '2026-12-01', birthDateOf(id), FIRST_0030)).toBeUndefined();
    expect(idNumberProblem(idNumber('20261201'), FIRST_0030)).toBeUndefined();
    expect(idNumberProblem(idNumber('20261202'), FIRST_0030)).toBe('birth-date');
  });

  it("R18: dues months are Shanghai's: paid at 00:30 on 1 Dec, the month is December, and 6 months ahead is June", () => {
    expect(monthOf(FIRST_0030)).toBe('2026-12');
    expect(monthOf(FIRST_0030.toISOString())).toBe('2026-12');
    expect(paymentMonthProblem('2027-06', FIRST_0030, { maxAheadMonths: 6 })).toBeUndefined();
    expect(paymentMonthProblem('2027-07', FIRST_0030, { maxAheadMonths: 6 })).toMatchObject({ rule: 'R18' });
  });

  it('R3: a ten-day deadline ends at 24:00 Shanghai of the tenth natural day after the submission, whatever the hour', () => {
    const tenth = Date.parse('2026-12-11T16:00:00Z'); // 24:00 on 11 Dec in Shanghai
    expect(stepDeadline(DEFAULT_CHECK_IN_TIMING, FIRST_0030.getTime())).toBe(tenth);
    expect(naturalDaysEnd(FIRST_0030, 10)).toBe(tenth);
    // Submitted at 23:59 the same office day: the same end (not 240 hours later).
    expect(naturalDaysEnd(Date.parse('2026-12-01T15:59:00Z'), 10)).toBe(tenth);
    // A test's short duration stays a duration.
    expect(stepDeadline({ deadlineMs: 4000 }, FIRST_0030.getTime())).toBe(FIRST_0030.getTime() + 4000);
  });

  it('R18: a probation of 6 months ends on the same day 6 calendar months later (not 180 days); 31 Aug ends on the last day of February', () => {
    expect(calendarMonthsEnd(FIRST_0030, 6)).toBe(officeDayStart('2027-06-01'));
    expect(calendarMonthsEnd(NEW_YEAR_0030, 12)).toBe(officeDayStart('2028-01-01'));
    expect(addCalendarMonths('2026-08-31', 6)).toBe('2027-02-28');
    // The case's probation step counts calendar months with the default month, and milliseconds with a test's.
    const probation = disciplineProcess.steps.probation;
    const ctx = (probationMonthMs: number) =>
      ({ input: { timing: { ...disciplineTimingFromEnv({}), probationMonthMs } }, meeting: { probationMonths: 6 } }) as unknown as Parameters<
        typeof probation.timing
      >[0];
    const byDefault = probation.timing(ctx(disciplineTimingFromEnv({}).probationMonthMs));
    expect(byDefault.calendarMonths).toBe(6);
    expect(stepDeadline(byDefault, FIRST_0030.getTime())).toBe(officeDayStart('2027-06-01'));
    expect(probation.timing(ctx(300)).calendarMonths).toBeUndefined();
  });

  it('R19/R12: entry within the month after the meeting, ages, cohorts and base dates count Shanghai days', () => {
    // Met on 31 Oct, entered at 00:30 on 1 Dec: within 31 natural days after the meeting; met on 30 Oct: late.
    expect(isLateEntry('2026-10-31', FIRST_0030, 31 * 24 * HOUR)).toBe(false);
    expect(isLateEntry('2026-10-30', FIRST_0030, 31 * 24 * HOUR)).toBe(true);
    // Born on 1 Dec 1998: 28 at 00:30 Shanghai on 1 Dec 2026 (age-out).
    expect(wholeYears('1998-12-01', officeDay(FIRST_0030))).toBe(28);
    // A cohort's base date ends at 24:00 Shanghai.
    expect(graduateBaseAt(2026, '06-01', FIRST_0030)).toEqual({ date: '2026-06-01', at: new Date('2026-06-01T16:00:00Z'), fixed: true });
    // The statistics' days and months end with Shanghai's today.
    expect(lastDays(2, FIRST_0030).days).toEqual(['2026-11-30', '2026-12-01']);
    expect(lastMonths(2, NEW_YEAR_0030).months).toEqual(['2026-12', '2027-01']);
  });
});

describe('the office calendar on the real server', () => {
  let sys: System;
  let tree: Tree;
  beforeAll(async () => {
    sys = await startSystem();
    tree = await seedTree(sys.app);
  });
  afterAll(async () => {
    await sys?.stop();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("R12: the graduates' statistics without asOf answer for Shanghai's today, at 00:30 on the first of a month and of a year", async () => {
    for (const [now, today] of [
      [FIRST_0030, '2026-12-01'],
      [NEW_YEAR_0030, '2027-01-01'],
    ] as const) {
      vi.useFakeTimers({ toFake: ['Date'], now });
      const r = await call(sys.app, 'GET', '/api/stats/graduate-transfers?cohort=2026', tree.tokens.province);
      vi.useRealTimers();
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.asOf).toBe(today);
    }
  });

  it("R3: a check-in's deadline, set by the workflow, is 24:00 Shanghai of the tenth natural day after the day it was submitted", async () => {
    const r = await call(sys.app, 'POST', '/api/check-ins', tree.tokens.sec1, { branchId: tree.ids.branch1, profile: profile() });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const row = await sys.db.selectFrom('processes').select(['started_at', 'deadline']).where('id', '=', r.body.processId).executeTakeFirstOrThrow();
    const expected = officeDayEnd(addDays(officeDay(row.started_at), 10));
    expect(row.deadline!.getTime()).toBe(expected);
    // Midnight in Shanghai, and never earlier than 240 hours after the submission.
    expect((row.deadline!.getTime() + 8 * HOUR) % (24 * HOUR)).toBe(0);
    expect(row.deadline!.getTime() - row.started_at.getTime()).toBeGreaterThanOrEqual(240 * HOUR);
    expect(new Date(r.body.deadline as string).getTime()).toBe(expected);
  });
});
