// The office calendar: Asia/Shanghai (UTC+8, no daylight saving time). Every date a rule counts (today, a join
// date, dues months, probation months, R3's natural days, cohorts and base dates, asOf, age-out, R19's month after
// the meeting) is an office date: this module is the only place that does date arithmetic (lint: eslint.config.js).
// Dates are YYYY-MM-DD strings; a date-only Date (a birth date from an ID number) is that date at its UTC midnight.

/** The offices' time zone, for PostgreSQL's `at time zone`. */
export const OFFICE_ZONE = 'Asia/Shanghai';

/** UTC+8 all year: the offset is fixed, so plain arithmetic is exact. */
export const OFFICE_OFFSET_MS = 8 * 3_600_000;

const DAY_MS = 86_400_000;

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The date of a date-only Date (its UTC midnight) as YYYY-MM-DD. */
export function isoDate(d: Date): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The parts of a date (YYYY-MM-DD, or a date-only Date). */
export function dateParts(date: string | Date): { year: number; month: number; day: number } {
  if (typeof date !== 'string') return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
  const [year, month, day] = date.slice(0, 10).split('-').map(Number) as [number, number, number];
  return { year, month, day };
}

/** YYYY-MM-DD of a real calendar date, or undefined (30 February, month 13 …). */
export function realDate(year: number, month: number, day: number): string | undefined {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined;
  return isoDate(d);
}

/** A date as a date-only Date (its UTC midnight): for values that are dates, not instants (a birth date). */
export function dateOnly(date: string): Date {
  return new Date(`${date.slice(0, 10)}T00:00:00Z`);
}

/** The offices' calendar day of an instant ("today" when left out), as YYYY-MM-DD. */
export function officeDay(at: Date | number = new Date()): string {
  return isoDate(new Date((typeof at === 'number' ? at : at.getTime()) + OFFICE_OFFSET_MS));
}

/** The offices' month of an instant (this month when left out), as YYYY-MM. */
export function officeMonth(at: Date | number = new Date()): string {
  return officeDay(at).slice(0, 7);
}

/** The first instant (ms since the epoch) of an offices' day given as YYYY-MM-DD. */
export function officeDayStart(date: string): number {
  return Date.parse(`${date.slice(0, 10)}T00:00:00Z`) - OFFICE_OFFSET_MS;
}

/** The end of an offices' day (24:00, the first instant of the next day). */
export function officeDayEnd(date: string): number {
  return officeDayStart(date) + DAY_MS;
}

/** The date `n` days after `date` (negative: before). */
export function addDays(date: string, n: number): string {
  return isoDate(new Date(Date.parse(`${date.slice(0, 10)}T00:00:00Z`) + n * DAY_MS));
}

/** The same day `n` calendar months after `date`; a day the month lacks falls on its last day (31 Aug + 6 → 28/29 Feb). */
export function addCalendarMonths(date: string, n: number): string {
  const { year, month, day } = dateParts(date);
  const i = year * 12 + (month - 1) + n;
  const y = Math.floor(i / 12);
  const m = (i % 12) + 1;
  const lastDay = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${pad(y, 4)}-${pad(m)}-${pad(Math.min(day, lastDay))}`;
}

/** The same day `n` years after `date`; 29 February falls on 28 February in a common year, as in PostgreSQL. */
export function addYears(date: string | Date, n: number): string {
  return addCalendarMonths(typeof date === 'string' ? date : isoDate(date), 12 * n);
}

/** Whole years from `from` to `to` (an age on `to`), both dates. */
export function wholeYears(from: string | Date, to: string | Date): number {
  const a = dateParts(from);
  const b = dateParts(to);
  const beforeAnniversary = b.month < a.month || (b.month === a.month && b.day < a.day);
  return b.year - a.year - (beforeAnniversary ? 1 : 0);
}

/** The month (YYYY-MM) of an instant on the offices' calendar, or of a date / month given as text. */
export function monthOf(at: Date | string): string {
  if (typeof at === 'string' && /^\d{4}-\d{2}(-\d{2})?$/.test(at)) return at.slice(0, 7);
  const d = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(d.getTime())) throw new Error(`not a date: ${String(at)}`);
  return officeMonth(d);
}

/** `month` (YYYY-MM) moved by `n` months (negative: back). */
export function addMonths(month: string, n: number): string {
  return addCalendarMonths(`${month.slice(0, 7)}-01`, n).slice(0, 7);
}

/**
 * R3: the end of the `n`-th natural day after the day of `from` (the day it starts on is not counted, as in
 * China's Civil Code art. 201): submitted at any hour of 1 Dec, 10 natural days end at 24:00 on 11 Dec.
 */
export function naturalDaysEnd(from: Date | number, n: number): number {
  return officeDayEnd(addDays(officeDay(from), n));
}

/** R18: the end of `n` calendar months from `from`: the start of the same day `n` months later (1 Mar + 6 → 1 Sep 00:00). */
export function calendarMonthsEnd(from: Date | number, n: number): number {
  return officeDayStart(addCalendarMonths(officeDay(from), n));
}

/**
 * A waiting step's deadline from `now`: `calendarMonths` ends the same day months later (R18); `naturalDays` makes a
 * deadline of whole days end at 24:00 Shanghai of the last natural day (R3: "10d" ends at the end of the tenth day
 * after today); any other duration (a test's seconds, a number of hours) is that many milliseconds later.
 */
export function stepDeadline(timing: { deadlineMs: number; naturalDays?: boolean; calendarMonths?: number }, now: number): number {
  if (timing.calendarMonths !== undefined) return calendarMonthsEnd(now, timing.calendarMonths);
  if (timing.naturalDays && timing.deadlineMs % DAY_MS === 0) return naturalDaysEnd(now, timing.deadlineMs / DAY_MS);
  return now + timing.deadlineMs;
}
