// R12: graduates transfer to where they go next; the share transferred is watched against dated targets.
import { z } from 'zod';
import { Destination } from './routing';
import { IdNumber } from './members';
import { officeDayEnd } from './calendar';

/** A yearly target: by month-day `date` of the cohort's year, at least `share` percent transferred. */
export interface GraduateTarget {
  monthDay: string;
  share: number;
}

/** R12 (2018): ≥30 % by 15 Jul, ≥60 % by 30 Jul, ≥80 % by 30 Aug, all by 30 Sep. */
export const DEFAULT_GRADUATE_TARGETS = '07-15=30,07-30=60,08-30=80,09-30=100';

export function parseGraduateTargets(text: string): GraduateTarget[] {
  const targets = text.split(',').map((part) => {
    const m = /^\s*(\d{2}-\d{2})\s*=\s*(\d{1,3})\s*$/.exec(part);
    if (!m || Number(m[2]) > 100) throw new Error(`TUANWU_GRADUATE_TARGETS: "${part}" is not MM-DD=percent`);
    return { monthDay: m[1]!, share: Number(m[2]) };
  });
  return targets.sort((a, b) => a.monthDay.localeCompare(b.monthDay));
}

/** The target in force on `asOf` (a YYYY-MM-DD date) for a cohort: the latest whose date has come, or none yet. */
export function targetInForce(targets: GraduateTarget[], cohort: number, asOf: string): { date: string; share: number } | null {
  let current: { date: string; share: number } | null = null;
  for (const t of targets) {
    const date = `${cohort}-${t.monthDay}`;
    if (date <= asOf) current = { date, share: t.share };
  }
  return current;
}

/**
 * R12: the day (MM-DD of the cohort's year) on which a cohort's graduates are counted for good: whoever belonged
 * to a graduate branch of the cohort that day stays in the base whatever happens later (transferred, deleted,
 * still waiting), so that deleting graduates cannot raise the share transferred (the abuse R17 watches for).
 */
export const DEFAULT_GRADUATE_BASE_DATE = '06-01';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A base date as MM-DD; 02-29 is refused (most cohorts' years have no such day). */
export function parseGraduateBaseDate(text: string): string {
  const m = /^\s*(\d{2})-(\d{2})\s*$/.exec(text);
  const month = Number(m?.[1]);
  const day = Number(m?.[2]);
  if (!m || month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) {
    throw new Error(`TUANWU_GRADUATE_BASE_DATE: "${text}" is not a day of every year as MM-DD (e.g. 06-01)`);
  }
  return `${m[1]}-${m[2]}`;
}

/**
 * The instant a cohort's base is counted at: the end of its base date on the offices' calendar (24:00 Shanghai),
 * or `now` while that day has not ended (the base then follows the live roster).
 */
export function graduateBaseAt(cohort: number, baseDate: string, now: Date): { date: string; at: Date; fixed: boolean } {
  const date = `${String(cohort).padStart(4, '0')}-${baseDate}`;
  const end = new Date(officeDayEnd(date));
  return end.getTime() <= now.getTime() ? { date, at: end, fixed: true } : { date, at: now, fixed: false };
}

/** One roster row (R12): a graduate, found by ID number, and where they go. */
export const RosterRow = z.object({
  idNumber: IdNumber,
  toOrgId: z.string().optional(),
  destination: Destination.optional(),
});
export type RosterRow = z.infer<typeof RosterRow>;

/** The roster's columns; `toOrgId` or the destination's fields (routed by R11). */
export const ROSTER_COLUMNS = [
  'idNumber',
  'toOrgId',
  'situation',
  'unitName',
  'unitOrgId',
  'unitMembers',
  'destinationBranchId',
  'locationOrgId',
  'communityBranchId',
  'newCivilServant',
] as const;

export interface ParsedRosterLine {
  /** The row's line in the file (the header is usually line 1), or its row number in the sheet. */
  line: number;
  row?: RosterRow;
  problems?: { field: string; message: string; rule?: string }[];
}

/** Why a header cannot be a roster's, or undefined: it names idNumber and only ROSTER_COLUMNS. */
export function rosterHeaderProblem(header: readonly string[]): string | undefined {
  const unknown = header.filter((h) => !(ROSTER_COLUMNS as readonly string[]).includes(h));
  if (header.includes('idNumber') && unknown.length === 0) return undefined;
  return `the roster's header must name idNumber and only these columns: ${ROSTER_COLUMNS.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`;
}

/** One roster row from its cells, named by the header: the graduate, or what is wrong with the row. */
function rosterLine(header: readonly string[], line: number, cells: readonly string[]): ParsedRosterLine {
  const v: Record<string, string> = {};
  header.forEach((h, j) => {
    if (cells[j] !== undefined && cells[j] !== '') v[h] = cells[j]!;
  });
  const hasDestination = ['situation', 'unitName', 'locationOrgId'].some((k) => v[k] !== undefined);
  const candidate = {
    idNumber: v.idNumber ?? '',
    toOrgId: v.toOrgId,
    destination: hasDestination
      ? {
          situation: v.situation,
          unitName: v.unitName,
          unitOrgId: v.unitOrgId,
          unitMembers: v.unitMembers !== undefined ? Number(v.unitMembers) : undefined,
          destinationBranchId: v.destinationBranchId,
          locationOrgId: v.locationOrgId,
          communityBranchId: v.communityBranchId,
          newCivilServant: v.newCivilServant === undefined ? undefined : /^(1|true|yes|y)$/i.test(v.newCivilServant),
        }
      : undefined,
  };
  const parsed = RosterRow.safeParse(candidate);
  if (!parsed.success) return { line, problems: parsed.error.issues.map((x) => ({ field: x.path.join('.'), message: x.message })) };
  if (!parsed.data.toOrgId === !parsed.data.destination)
    return { line, problems: [{ field: 'toOrgId', message: 'give either toOrgId or the destination columns', rule: 'R11' }] };
  return { line, row: parsed.data };
}

/**
 * A roster read from a table (domain/tables.ts: CSV or .xlsx): a header naming columns from ROSTER_COLUMNS, then
 * one graduate a row, each with its line. Throws when the header is not a roster's.
 */
export function parseRoster(table: { header: string[]; rows: { line: number; cells: string[] }[] }): { header: string[]; lines: ParsedRosterLine[] } {
  const problem = rosterHeaderProblem(table.header);
  if (problem) throw new Error(problem);
  return { header: table.header, lines: table.rows.map((r) => rosterLine(table.header, r.line, r.cells)) };
}
