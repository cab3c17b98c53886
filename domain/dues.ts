// Dues (团费): paid monthly, watched per organization; six consecutive unpaid months start R18.
// Months are the offices' calendar months (Asia/Shanghai, domain/calendar.ts), written "YYYY-MM"; the ledger
// stores their first day.
import { z } from 'zod';
import { addMonths, monthOf } from './calendar';

export { addMonths, monthOf };

/**
 * How many months past the month of recording a payment may be for (TUANWU_DUES_MAX_AHEAD_MONTHS): a guard
 * against a mistyped month, not a rule of the seeds. 6 keeps what branches could do before it was configurable.
 */
export const DEFAULT_DUES_MAX_AHEAD_MONTHS = 6;

export const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month as YYYY-MM');

/** One month's dues of one member. */
export const DuesPayment = z.object({
  memberId: z.uuid(),
  month: Month,
  // A month's dues are a few yuan; a larger number is a typo (and would overflow the ledger's integer).
  amountCents: z.number().int().positive().max(1_000_000),
});
export type DuesPayment = z.infer<typeof DuesPayment>;

function index(month: string): number {
  const [y, m] = month.split('-').map(Number);
  return y! * 12 + (m! - 1);
}

/** How many months `to` is after `from` (negative if before). */
export function monthsBetween(from: string, to: string): number {
  return index(to) - index(from);
}

/** The ledger's date for a month: its first day. */
export function monthStart(month: string): string {
  return `${month}-01`;
}

/**
 * R18: why a payment for `month` recorded on `recordedOn` is refused, or undefined if it is accepted. Arrears of
 * any age are payable: paying them is how a member 6 months behind comes back (R18). The only floor is the month
 * the member joined the league (`joinDate`, YYYY-MM-DD): no dues are owed before it. Ahead, at most `maxAheadMonths`.
 */
export function paymentMonthProblem(
  month: string,
  recordedOn: Date | string,
  limits: { maxAheadMonths: number; joinDate?: string },
): { message: string; rule: 'R18' } | undefined {
  const current = monthOf(recordedOn);
  const ahead = monthsBetween(current, month);
  if (ahead > limits.maxAheadMonths) {
    return { rule: 'R18', message: `${month} is ${ahead} months ahead of ${current}: paying ahead is limited to ${limits.maxAheadMonths} months` };
  }
  const joined = limits.joinDate ? monthOf(limits.joinDate) : undefined;
  if (joined && monthsBetween(joined, month) < 0) {
    return { rule: 'R18', message: `${month} is before the member joined the league (${joined}): no dues are owed for it` };
  }
  return undefined;
}

/** The batch file's columns, in this order on its header line. */
export const DUES_BATCH_COLUMNS = ['memberId', 'month', 'amountCents'] as const;

export interface ParsedDuesLine {
  /** 1-based line in the file (the header is line 1). */
  line: number;
  payment?: DuesPayment;
  problems?: { field: string; message: string; rule?: string }[];
}
