// The offices' calendar: Asia/Shanghai (UTC+8, no daylight saving time). The days the rules count (a window
// open today, a term ending today, the age-out date, the admitting meeting, statistics per day or month) are
// the offices' days, not UTC's: one definition here for the API, the activities and the domain rules.

/** The offices' time zone, for PostgreSQL's `at time zone`. */
export const OFFICE_ZONE = 'Asia/Shanghai';

/** UTC+8 all year: the offset is fixed, so plain arithmetic is exact. */
export const OFFICE_OFFSET_MS = 8 * 3_600_000;

/** The offices' calendar day of an instant (today when left out), as YYYY-MM-DD. */
export function officeDay(at: Date = new Date()): string {
  return new Date(at.getTime() + OFFICE_OFFSET_MS).toISOString().slice(0, 10);
}

/** The first instant (ms since the epoch) of an offices' calendar day given as YYYY-MM-DD. */
export function officeDayStart(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) - OFFICE_OFFSET_MS;
}
