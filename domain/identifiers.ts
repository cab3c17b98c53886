// Identifier checks from DOMAIN.md ("Validation of identifiers"): GB 11643-1999 and GB 32100-2015.
import { dateOnly, dateParts, isoDate, officeDay, realDate, wholeYears } from './calendar';

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

export type IdNumberProblem = 'format' | 'birth-date' | 'check-digit';

/** Parses YYYYMMDD into a date-only Date (domain/calendar.ts), or undefined when it is not a real calendar date. */
export function parseCompactDate(s: string): Date | undefined {
  if (!/^\d{8}$/.test(s)) return undefined;
  const date = realDate(Number(s.slice(0, 4)), Number(s.slice(4, 6)), Number(s.slice(6, 8)));
  return date === undefined ? undefined : dateOnly(date);
}

/** Returns the first problem with a citizen ID number, or undefined when it is valid. */
export function idNumberProblem(id: string, today: Date = new Date()): IdNumberProblem | undefined {
  if (!/^\d{17}[\dX]$/.test(id)) return 'format';
  const birth = parseCompactDate(id.slice(6, 14));
  // Not in the future on the offices' calendar: born today (Shanghai) is not "in the future" before 08:00.
  if (!birth || isoDate(birth) > officeDay(today) || dateParts(birth).year < 1900) return 'birth-date';
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(id[i]) * ID_WEIGHTS[i]!;
  return ID_CHECK[sum % 11] === id[17] ? undefined : 'check-digit';
}

/** The birth date encoded in a (valid) ID number. */
export function birthDateOf(id: string): Date {
  const birth = parseCompactDate(id.slice(6, 14));
  if (!birth) throw new Error('birth date of an invalid ID number');
  return birth;
}

/** Appends the check character to 17 digits; used by tests and the demo data. */
export function withIdCheckDigit(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i]!;
  return first17 + ID_CHECK[sum % 11];
}

/** Whole years between two dates (age on `at`). */
export function ageOn(birth: Date, at: Date): number {
  return wholeYears(birth, at);
}

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

function usccCheckChar(first17: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const v = USCC_CHARS.indexOf(first17[i]!);
    if (v < 0) return undefined;
    sum += v * USCC_WEIGHTS[i]!;
  }
  const check = 31 - (sum % 31);
  return USCC_CHARS[check === 31 ? 0 : check];
}

export type CreditCodeProblem = 'format' | 'check-digit';

/** Returns the first problem with a unified social credit code, or undefined when it is valid. */
export function creditCodeProblem(code: string): CreditCodeProblem | undefined {
  if (!/^[0-9ABCDEFGHJKLMNPQRTUWXY]{18}$/.test(code)) return 'format';
  if (!/^\d{6}$/.test(code.slice(2, 8))) return 'format';
  return usccCheckChar(code.slice(0, 17)) === code[17] ? undefined : 'check-digit';
}

export function withCreditCheckChar(first17: string): string {
  const c = usccCheckChar(first17);
  if (!c) throw new Error('credit code prefix has a character outside the set');
  return first17 + c;
}

/** Masks an ID number for lists and logs: region and check kept, birth date and sequence hidden. */
export function maskIdNumber(id: string): string {
  if (id.length < 8) return '*'.repeat(id.length);
  return id.slice(0, 4) + '*'.repeat(id.length - 6) + id.slice(-2);
}

/** Replaces anything shaped like an ID number in free text (for logs). */
export function redactIdNumbers(text: string): string {
  return text.replace(/\b\d{17}[\dXx]\b/g, (m) => maskIdNumber(m));
}
