// R19: development numbers (发展团员编号) issued in ranges, the branch meeting that admitted a member, and the age
// at which a member leaves the league (超龄离团). Pure: formatting, parsing, the date rules and the API's bodies.
import { z } from 'zod';
import { OrgId } from './orgs';
import { freeText, singleLine } from './text';
import type { FieldProblem } from './errors';
import { MIN_JOIN_AGE } from './members';
import { addCalendarMonths, addDays, addYears as calendarAddYears, officeDay, officeDayStart } from './calendar';

/** "Every number accounted for": a range lists each of its numbers, so it stays small enough to list. */
export const RANGE_MAX_COUNT = 100_000;
/** A whole number is a development number (domain/members.ts DevelopmentNumber): 4-32 characters. */
const NUMBER_MIN_LENGTH = 4;
const NUMBER_MAX_LENGTH = 32;
/** R19 age-out: a member leaves the league by age on their 28th birthday. */
export const AGE_OUT_AT = 28;

export interface RangeShape {
  prefix: string;
  count: number;
  width: number;
}

/** Sequences are zero-padded to the digits of the count: 500 numbers → 001 … 500. */
export function widthOf(count: number): number {
  return String(count).length;
}

/** The number of a range at `seq` (1 … count). */
export function formatNumber(r: Pick<RangeShape, 'prefix' | 'width'>, seq: number): string {
  return r.prefix + String(seq).padStart(r.width, '0');
}

export function firstNumber(r: RangeShape): string {
  return formatNumber(r, 1);
}

export function lastNumber(r: RangeShape): string {
  return formatNumber(r, r.count);
}

/** The sequence of `number` in the range, or undefined when the range does not hold it. */
export function sequenceOf(r: RangeShape, number: string): number | undefined {
  if (!number.startsWith(r.prefix)) return undefined;
  const digits = number.slice(r.prefix.length);
  if (digits.length !== r.width || !/^\d+$/.test(digits)) return undefined;
  const seq = Number(digits);
  return seq >= 1 && seq <= r.count ? seq : undefined;
}

/**
 * Every prefix a range holding `number` could have: the number's own beginnings. Prefixes never overlap
 * (`prefixesOverlap`), so at most one range has one of them: the lookup is one indexed `prefix in (…)`.
 */
export function candidatePrefixes(number: string): string[] {
  return Array.from({ length: number.length - 1 }, (_, i) => number.slice(0, i + 1));
}

/** Two prefixes overlap when one begins the other: a number could then belong to both ranges. */
export function prefixesOverlap(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * The open numbers of a range: neither used nor voided, in order. At most RANGE_MAX_COUNT of them.
 */
export function openNumbers(r: RangeShape, taken: Iterable<string>): string[] {
  const out = new Set(taken);
  const open: string[] = [];
  for (let seq = 1; seq <= r.count; seq++) {
    const n = formatNumber(r, seq);
    if (!out.has(n)) open.push(n);
  }
  return open;
}

/** POST /api/numbers/ranges: a committee above issues an organization's numbers for a year. */
export const RangeIssue = z
  .object({
    orgId: OrgId,
    year: z.number().int().min(1990).max(2100),
    // Upper-case letters, digits and "-", as development numbers are written (GD2026SZ01).
    prefix: z
      .string()
      .max(NUMBER_MAX_LENGTH - 1)
      .regex(/^[A-Z0-9][A-Z0-9-]*$/, 'upper-case letters, digits and "-", starting with a letter or digit'),
    count: z.number().int().min(1).max(RANGE_MAX_COUNT),
  })
  .superRefine((b, ctx) => {
    const length = b.prefix.length + widthOf(b.count);
    if (length < NUMBER_MIN_LENGTH || length > NUMBER_MAX_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: `a number (prefix and ${widthOf(b.count)} digits) must have ${NUMBER_MIN_LENGTH}-${NUMBER_MAX_LENGTH} characters; it would have ${length}`,
      });
    }
  });
export type RangeIssue = z.infer<typeof RangeIssue>;

/** POST /api/numbers/void: a number that will not be used, and why. */
export const NumberVoid = z.object({
  number: singleLine(NUMBER_MAX_LENGTH),
  reason: freeText(500),
});

/** GET /api/numbers/ranges. */
export const RangeQuery = z.object({
  orgId: OrgId.optional(),
  year: z.coerce.number().int().min(1990).max(2100).optional(),
  /** Only ranges issued longer ago than this with numbers still open. */
  openOlderThanDays: z.coerce.number().int().min(0).max(3650).optional(),
  /** The same, with the configured age (numbers.openAfterMs). */
  stale: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
  /** The last prefix of the previous page. */
  cursor: z.string().max(NUMBER_MAX_LENGTH).optional(),
});

/**
 * R19: the date of the branch meeting that admitted the member. It is not in the future, not after the join
 * date (the join date is the day the committee above approves what the meeting decided), and not before the
 * member's 14th birthday (no member under 14: the meeting could not admit a younger one).
 */
export function meetingDateProblem(meetingDate: string, joinDate: string, birth: Date, now: Date): FieldProblem | undefined {
  const problem = (message: string): FieldProblem => ({ field: 'body.meetingDate', rule: 'R19', message });
  if (meetingDate > officeDay(now)) return problem('the meeting date is in the future');
  if (meetingDate > joinDate) return problem(`the admitting meeting comes before the join date (${joinDate}), not after it`);
  const fourteenth = addYears(birth, MIN_JOIN_AGE);
  if (meetingDate < fourteenth) return problem(`the meeting date is before the member's ${MIN_JOIN_AGE}th birthday`);
  return undefined;
}

/**
 * R19: entered later than the month after the admitting meeting: accepted, flagged. Without `lateEntryMs` (the
 * default) that month is a calendar month of the offices' calendar: met on 31 January, entered by 24:00 Shanghai on
 * 28 February (the same day a month later, the month's last day when it has none). A configured duration of whole
 * days counts natural days (met on 1 March, "31d": by 24:00 on 1 April); a shorter one (tests) counts from the start
 * of the meeting's day.
 */
export function isLateEntry(meetingDate: string, enteredAt: Date, lateEntryMs?: number): boolean {
  const DAY = 86_400_000;
  if (lateEntryMs === undefined) return officeDay(enteredAt) > addCalendarMonths(meetingDate, 1);
  if (lateEntryMs % DAY === 0) return officeDay(enteredAt) > addDays(meetingDate, lateEntryMs / DAY);
  return enteredAt.getTime() - officeDayStart(meetingDate) > lateEntryMs;
}

/** The date `years` after `birth` (YYYY-MM-DD); a 29 February birthday falls on 28 February in a common year, as in PostgreSQL. */
export function addYears(birth: Date, years: number): string {
  return calendarAddYears(birth, years);
}

/** R19 age-out: the day a member born on `birth` leaves the league by age. */
export function ageOutDate(birth: Date): string {
  return addYears(birth, AGE_OUT_AT);
}

/** POST /api/members/{id}/age-out-exception. */
export const AgeOutException = z.object({ reason: freeText(500) });
