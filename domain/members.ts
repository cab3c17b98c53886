import { z } from 'zod';
import { ageOn, birthDateOf, idNumberProblem } from './identifiers';
import { dateOnly, dateParts, officeDay } from './calendar';
import { Phone } from './orgs';
import { singleLine } from './text';
import type { FieldProblem } from './errors';

export const IdNumber = z
  .string()
  .transform((s) => s.trim().toUpperCase())
  .superRefine((id, ctx) => {
    const problem = idNumberProblem(id);
    if (!problem) return;
    const why = {
      format: '18 characters: 17 digits and a digit or X',
      'birth-date': 'characters 7-14 must be a real birth date, not in the future',
      'check-digit': 'the check character does not match (GB 11643-1999)',
    }[problem];
    ctx.addIssue({ code: 'custom', message: `not a valid ID number: ${why}` });
  });

export const DevelopmentNumber = z.string().regex(/^[A-Za-z0-9-]{4,32}$/, '4-32 letters, digits or "-"');

/** Profile fields other than the four that approval locks (R4). R6: the member edits these directly. */
export const ProfileDetails = z.object({
  phone: Phone.optional(),
  politicalStatus: singleLine(30, 0).optional(),
  economicIncome: singleLine(30, 0).optional(),
  isCadre: z.boolean().optional(),
  education: singleLine(30, 0).optional(),
  occupation: singleLine(50, 0).optional(),
  address: singleLine(200, 0).optional(),
});

export const Profile = ProfileDetails.extend({
  name: singleLine(50),
  idNumber: IdNumber,
  joinDate: z.iso.date(),
  developmentNumber: DevelopmentNumber.optional(),
});
export type Profile = z.infer<typeof Profile>;

/** R4: approval locks these for good. */
export const LOCKED_FIELDS = ['name', 'idNumber', 'joinDate', 'developmentNumber'] as const;

/** R5: after approval these change only through the branch's review (POST /api/members/{id}/changes, domain/member-data.ts). */
export const REVIEWED_FIELDS = ['politicalStatus', 'economicIncome', 'isCadre'] as const;

export const MemberPatch = Profile.partial().strict();
export type MemberPatch = z.infer<typeof MemberPatch>;

/** The year from which every member needs a development number (R19: no member without a number). */
export const DEVELOPMENT_NUMBER_FROM_YEAR = 2017;
export const MIN_JOIN_AGE = 14;

/** Business rules of a profile (422), beyond its shape (400). */
export function profileRuleProblems(p: Pick<Profile, 'idNumber' | 'joinDate' | 'developmentNumber'>, today: Date): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const join = dateOnly(p.joinDate);
  // A join date of today (Shanghai) is not in the future, also between 00:00 and 08:00 (DOMAIN: office dates).
  if (p.joinDate > officeDay(today)) {
    problems.push({ field: 'profile.joinDate', rule: 'R19', message: 'the join date is in the future' });
  }
  const age = ageOn(birthDateOf(p.idNumber), join);
  if (age < MIN_JOIN_AGE) {
    problems.push({ field: 'profile.joinDate', rule: 'R19', message: `members join at ${MIN_JOIN_AGE} or older; this one was ${age} at the join date` });
  }
  if (dateParts(p.joinDate).year >= DEVELOPMENT_NUMBER_FROM_YEAR && !p.developmentNumber) {
    problems.push({
      field: 'profile.developmentNumber',
      rule: 'R19',
      message: `a development number is required for members who joined in ${DEVELOPMENT_NUMBER_FROM_YEAR} or later`,
    });
  }
  return problems;
}

/**
 * R4: a former member checking in again (R10, R16: domain/member-status.ts) keeps the four locked fields; a
 * profile that changes one is refused, naming each field. The join date changes only through R7; a
 * development number left out keeps the recorded one.
 */
export function lockedFieldProblems(
  p: Pick<Profile, 'name' | 'idNumber' | 'joinDate' | 'developmentNumber'>,
  record: { name: string; id_number: string; join_date: string; development_number: string | null },
): FieldProblem[] {
  const recorded: Record<(typeof LOCKED_FIELDS)[number], string | null> = {
    name: record.name,
    idNumber: record.id_number,
    joinDate: record.join_date,
    developmentNumber: record.development_number,
  };
  const problems: FieldProblem[] = [];
  for (const f of LOCKED_FIELDS) {
    const given = p[f];
    if (given === undefined || given === recorded[f]) continue;
    const why =
      f === 'joinDate' ? 'the join date is changed only in the window the province opens, with review (R7)' : `${f} is locked since the first approval`;
    problems.push({ field: `body.profile.${f}`, rule: 'R4', message: `${why}: a former member checks in again with the recorded value` });
  }
  return problems;
}
